// Instants are integers of microseconds since the Unix epoch: exact, sortable, and what the API's
// microsecond precision needs (api.md §0). This module converts them from and to RFC 3339 text.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
/** 0000-01-01T00:00:00Z: the first instant RFC 3339 can write. */
const MIN_MICROS = -62_167_219_200_000_000
/** 400 Gregorian years are exactly 146 097 days. */
const YEARS_400_MS = 146_097 * 86_400_000
const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0

/**
 * Parses an RFC 3339 timestamp that carries an offset. Returns microseconds since the epoch, or null for text
 * that is not RFC 3339, has no offset, or names an impossible date or time. Digits past the sixth fractional
 * one are truncated. A leap second (`:60`) is refused: no clock here can represent it. So are instants
 * past 2255-06-05, where microseconds stop fitting exactly in a double (2^53), and before year 0000.
 */
export function parseTimestamp(text: string): number | null {
  const m = RFC3339.exec(text)
  if (!m) return null
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  if (month < 1 || month > 12) return null
  const monthDays = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!
  if (day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) return null
  let offsetMinutes = 0
  if (!m[8]) {
    const offHours = Number(m[10])
    const offMinutes = Number(m[11])
    if (offHours > 23 || offMinutes > 59) return null
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offHours * 60 + offMinutes)
  }
  let ms = Date.UTC(year, month - 1, day, hour, minute, second)
  // Date.UTC reads years 0–99 as 1900–1999: shift those back by hand.
  if (year < 100) ms = Date.UTC(year + 400, month - 1, day, hour, minute, second) - YEARS_400_MS
  const micros = m[7] ? Number(m[7].length >= 6 ? m[7].slice(0, 6) : m[7].padEnd(6, '0')) : 0
  // The offset is applied in milliseconds first: near the upper bound, adding microseconds to a product
  // that is already past 2^53 would round.
  const instant = (ms - offsetMinutes * 60_000) * 1000 + micros
  return instant >= MIN_MICROS && instant <= Number.MAX_SAFE_INTEGER ? instant : null
}

/** Formats microseconds since the epoch as RFC 3339 UTC with `Z`, trailing fractional zeros trimmed. */
export function formatTimestamp(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000)
  const fraction = micros - seconds * 1_000_000
  const head = secondText(seconds)
  if (fraction === 0) return `${head}Z`
  return `${head}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}Z`
}

// Listing formats two timestamps per event, and neighbouring events mostly share their second.
const secondCache = new Map<number, string>()
function secondText(seconds: number): string {
  let text = secondCache.get(seconds)
  if (text === undefined) {
    text = new Date(seconds * 1000).toISOString().slice(0, 19)
    if (secondCache.size >= 4096) secondCache.clear()
    secondCache.set(seconds, text)
  }
  return text
}

export const formatNullableTimestamp = (micros: number | null) => (micros === null ? null : formatTimestamp(micros))

/** The clock travels in deps so tests can fix it; it answers microseconds since the epoch. */
export type Clock = () => number
export const systemClock: Clock = () => Date.now() * 1000
