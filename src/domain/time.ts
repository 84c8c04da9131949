// Instants are integers of microseconds since the Unix epoch: exact, sortable, and what the API's
// microsecond precision needs (docs/api.md §0). This module converts them from and to RFC 3339 text.

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
/** 0000-01-01T00:00:00Z: the first instant RFC 3339 can write. */
const MIN_MICROS = -62_167_219_200_000_000
const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0

const ZERO = 48
/** The value of the decimal digit at `i`, or -1. */
function digit(text: string, i: number): number {
  const d = text.charCodeAt(i) - ZERO
  return d >= 0 && d <= 9 ? d : -1
}
/** The two-digit number at `i`, or -1. */
function twoDigits(text: string, i: number): number {
  const a = digit(text, i)
  const b = digit(text, i + 1)
  return a < 0 || b < 0 ? -1 : a * 10 + b
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil), for any year ≥ 0. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}

/**
 * Parses an RFC 3339 timestamp that carries an offset: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to
 * 9 digits, then `Z` or `±HH:MM` (`T` and `Z` in either case). Returns microseconds since the epoch, or
 * null for text that is not that, or names an impossible date or time. Digits past the sixth fractional one
 * are truncated. A leap second (`:60`) is refused: no clock here can represent it. So are instants past
 * 2255-06-05, where microseconds stop fitting exactly in a double (2^53), before year 0000, and before
 * 1684-07-28 any instant a double cannot hold to the microsecond (one that is a multiple of 8 µs is kept).
 * Read character by character: every reported event passes through here. Measured 10-14× the regular
 * expression and Date it replaced (test/domain/time.test.ts's oracle): 150 ns against 1.3-2 µs, test/bench/micro/time.ts.
 */
export function parseTimestamp(text: string): number | null {
  if (text.length < 20) return null
  const y1 = twoDigits(text, 0)
  const y2 = twoDigits(text, 2)
  const month = twoDigits(text, 5)
  const day = twoDigits(text, 8)
  const hour = twoDigits(text, 11)
  const minute = twoDigits(text, 14)
  const second = twoDigits(text, 17)
  const t = text.charCodeAt(10)
  if (
    y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 ||
    text[4] !== '-' || text[7] !== '-' || (t !== 84 && t !== 116) || text[13] !== ':' || text[16] !== ':'
  )
    return null
  const year = y1 * 100 + y2
  if (day > (month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!)) return null
  let i = 19
  let micros = 0
  if (text[i] === '.') {
    const start = ++i
    for (let d: number; i < text.length && (d = digit(text, i)) >= 0; i++) if (i - start < 6) micros = micros * 10 + d
    const count = i - start
    if (count === 0 || count > 9) return null
    for (let k = count; k < 6; k++) micros *= 10
  }
  let offsetMinutes = 0
  const zone = text[i]
  if (zone === 'Z' || zone === 'z') {
    if (i + 1 !== text.length) return null
  } else if (zone === '+' || zone === '-') {
    const offHours = twoDigits(text, i + 1)
    const offMinutes = twoDigits(text, i + 4)
    if (i + 6 !== text.length || text[i + 3] !== ':' || offHours < 0 || offHours > 23 || offMinutes < 0 || offMinutes > 59) return null
    offsetMinutes = (zone === '-' ? -1 : 1) * (offHours * 60 + offMinutes)
  } else return null
  // Milliseconds first, exact far past 2^53 µs; the microseconds are added last so the bound below holds.
  const ms = daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000
  const instant = ms * 1000 + micros
  if (!(instant >= MIN_MICROS && instant <= Number.MAX_SAFE_INTEGER)) return null
  // Before 1684-07-28 (−2^53 µs) a double holds only every 2nd to 8th microsecond: what it cannot hold
  // exactly is refused, never rounded (ms * 1000 is exact there, and so is this difference).
  return instant < -Number.MAX_SAFE_INTEGER && instant - ms * 1000 !== micros ? null : instant
}

/** Formats microseconds since the epoch as RFC 3339 UTC with `Z`, trailing fractional zeros trimmed. */
export function formatTimestamp(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000)
  const fraction = micros - seconds * 1_000_000
  const head = secondText(seconds)
  if (fraction === 0) return `${head}Z`
  return `${head}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}Z`
}

// Listing formats two timestamps per event, and neighbouring events mostly share their second. Measured 3×
// a toISOString per call when they do, 0.7-0.8× when every second is new: test/bench/micro/time.ts.
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
