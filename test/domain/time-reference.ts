// The definition parseTimestamp (src/domain/time.ts) implements by hand: one regular expression and Date's
// own calendar. Shared by its test oracle (test/domain/time.test.ts, which adds the exactness check in
// integers) and by the micro-benchmark that times the hand-written version against it
// (test/bench/micro/time.ts).

/** The instant's UTC milliseconds and the microseconds within it, or null for text that is no RFC 3339 instant. */
export function regexParts(text: string): { ms: number; micros: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(text)
  if (!m) return null
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  if (month < 1 || month > 12 || day < 1 || day > [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]! || hour > 23 || minute > 59 || second > 59) return null
  const offHours = Number(m[10] ?? 0)
  const offMinutes = Number(m[11] ?? 0)
  if (offHours > 23 || offMinutes > 59) return null
  const offset = (m[9] === '-' ? -1 : 1) * (offHours * 60 + offMinutes)
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, 0)
  const micros = m[7] ? Number(m[7].slice(0, 6).padEnd(6, '0')) : 0
  return { ms: date.getTime() - offset * 60_000, micros }
}
