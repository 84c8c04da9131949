// Micro-benchmark of the `length * 3` shortcuts (src/domain/event.ts parseEventInput's 64 KiB limit,
// src/store/sqlite/events.ts isInline's 768 bytes): a UTF-16 unit is at most 3 bytes of UTF-8, so short
// text skips Buffer.byteLength. Timed against always counting the bytes. Usage: bun test/bench/micro/bytes.ts
import { compare } from './harness'

const LIMIT = 64 * 1024
const INLINE = 768
// 64 distinct payload texts of each size: the test event's (45 characters), and one of about 400 (past
// 768 / 3, so the shortcut cannot answer for isInline and both count), some with non-ASCII text.
const texts = (pad: number) =>
  Array.from({ length: 64 }, (_, i) => JSON.stringify({ n: i, percent: i % 100, note: i % 8 === 0 ? `état stable ${'·'.repeat(pad)}` : `steady state ${'.'.repeat(pad)}` }))
const small = texts(0)
const medium = texts(360)
const ops = { ops: 64 }

const tooLarge = (t: string) => t.length * 3 > LIMIT && Buffer.byteLength(t) > LIMIT
const tooLargePlain = (t: string) => Buffer.byteLength(t) > LIMIT
const isInline = (t: string) => t.length * 3 <= INLINE || Buffer.byteLength(t) <= INLINE
const isInlinePlain = (t: string) => Buffer.byteLength(t) <= INLINE

console.log('byte-count shortcuts, one payload text per op')
compare('64 KiB check, the test event', () => small.map(tooLarge), () => small.map(tooLargePlain), ops)
compare('64 KiB check, a 400-character payload', () => medium.map(tooLarge), () => medium.map(tooLargePlain), ops)
compare('isInline, the test event', () => small.map(isInline), () => small.map(isInlinePlain), ops)
compare('isInline, a 400-character payload (both count)', () => medium.map(isInline), () => medium.map(isInlinePlain), ops)
