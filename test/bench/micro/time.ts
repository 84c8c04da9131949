// Micro-benchmark of src/domain/time.ts: the hand-written parseTimestamp against the regular expression and
// Date it replaced (the test oracle of test/domain/time.test.ts, with its BigInt check written the way
// parseTimestamp checks), and formatTimestamp's secondCache against a plain toISOString per call.
// Usage: bun test/bench/micro/time.ts
import { formatTimestamp, parseTimestamp } from '../../../src/domain/time'
import { compare } from './harness'
import { regexParts } from '../../domain/time-reference'

/** The plain parser: one regular expression, Date's own calendar (test/domain/time-reference.ts), the same refusals. */
function plainParse(text: string): number | null {
  const parts = regexParts(text)
  if (!parts) return null
  const { ms, micros } = parts
  const instant = ms * 1000 + micros
  if (!(instant >= -62_167_219_200_000_000 && instant <= Number.MAX_SAFE_INTEGER)) return null
  return instant < -Number.MAX_SAFE_INTEGER && instant - ms * 1000 !== micros ? null : instant
}

/** What agents send: milliseconds mostly, some microseconds, a few offsets. */
const base = Date.UTC(2026, 2, 7, 12)
const texts = Array.from({ length: 1024 }, (_, i) => {
  const iso = new Date(base + i * 137).toISOString()
  return i % 16 === 0 ? `${iso.slice(0, 23)}456+05:30` : i % 4 === 0 ? `${iso.slice(0, 23)}456Z` : iso
})
console.log('parseTimestamp (src/domain/time.ts), one timestamp per op')
compare(
  'hand-written vs regex + Date',
  () => texts.map(parseTimestamp),
  () => texts.map(plainParse),
  { ops: texts.length },
)

/** A listing's timestamps: events 10 ms apart (neighbours share their second), each with its created_at. */
const page = Array.from({ length: 1000 }, (_, i) => (base + i * 10) * 1000 + (i % 3) * 123)
/** The worst case for the cache: every timestamp a second never formatted before. */
let fresh = 0
const spread = () => Array.from({ length: 1000 }, () => (base + ++fresh * 1_001) * 1000 + 250)
function plainFormat(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000)
  const fraction = micros - seconds * 1_000_000
  const head = new Date(seconds * 1000).toISOString().slice(0, 19)
  if (fraction === 0) return `${head}Z`
  return `${head}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}Z`
}
console.log('formatTimestamp (src/domain/time.ts), one timestamp per op')
compare('secondCache vs toISOString, events 10 ms apart', () => page.map(formatTimestamp), () => page.map(plainFormat), { ops: page.length })
compare('secondCache vs toISOString, every second new', () => spread().map(formatTimestamp), () => spread().map(plainFormat), { ops: 1000, same: false })
