// How the console shows times and numbers; shared by the server's pages and the browser's islands.

/** `2026-03-07T12:00:01.5Z` → `2026-03-07 12:00:01 UTC` (seconds are enough on a page). */
export function utc(iso: string | null | undefined): string {
  if (!iso) return '—'
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
}

/** How long ago (or from now) `iso` is, in words: `just now`, `5 min ago`, `in 2 h`, `3 days ago`. */
export function relative(iso: string | null | undefined, nowMs: number): string {
  if (!iso) return ''
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) return ''
  const seconds = Math.round((nowMs - ms) / 1000)
  const size = Math.abs(seconds)
  const word =
    size < 45 ? null : size < 3600 ? `${Math.round(size / 60)} min` : size < 86_400 ? `${Math.round(size / 3600)} h` : `${Math.round(size / 86_400)} days`
  if (word === null) return 'just now'
  return seconds >= 0 ? `${word} ago` : `in ${word}`
}

/** Mission-time offsets: `0:00`, `2:05`, `1:02:03`. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`
}
