import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { createEventIds, encodeBase32, newId, timeHead } from '../../src/domain/ids'

const FORMAT = /^evt-[0-9abcdefghjkmnpqrstvwxyz]{26}$/
const T = Date.parse('2026-03-07T12:00:00Z') * 1000

describe('ids', () => {
  test('newId: a type prefix and 26 Crockford base32 characters, never repeating', () => {
    const ids = Array.from({ length: 1000 }, () => newId('event'))
    for (const id of ids) expect(id).toMatch(FORMAT)
    expect(new Set(ids).size).toBe(1000)
  })

  test('event ids: the same format, the time first; distinct seqs never share an id', () => {
    const eventId = createEventIds(123_456_789)
    const ids = Array.from({ length: 100_000 }, (_, i) => eventId(T, i + 1))
    for (const id of ids.slice(0, 100)) expect(id).toMatch(FORMAT)
    expect(new Set(ids).size).toBe(ids.length)
    for (const seq of [0, 2 ** 32 - 1, 2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER]) expect(eventId(T, seq)).toMatch(FORMAT)
    expect(new Set([0, 2 ** 32 - 1, 2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER].map((seq) => eventId(T, seq))).size).toBe(5)
    // Sortable by time: a later millisecond sorts after, whatever the seq.
    expect(eventId(T + 1000, 1) > eventId(T, 2 ** 40)).toBe(true)
    expect(eventId(T, 7)).toBe(eventId(T, 7))
  })

  test('event ids look random: neighbouring seqs share nothing past the time, and the secret changes them all', () => {
    const a = createEventIds(1)
    const b = createEventIds(2)
    const tail = (id: string) => id.slice(14)
    expect(tail(a(T, 1))).not.toBe(tail(a(T, 2)))
    let samePositions = 0
    for (let seq = 1; seq <= 1000; seq++) {
      const [x, y] = [tail(a(T, seq)), tail(a(T, seq + 1))]
      for (let i = 0; i < 16; i++) if (x[i] === y[i]) samePositions++
    }
    // Random characters agree by chance 1 time in 32: about 500 of 16 000 positions.
    expect(samePositions).toBeLessThan(1000)
    expect(tail(a(T, 1))).not.toBe(tail(b(T, 1)))
  })
})

test('the time head of an event id is newId’s: encodeBase32 of the millisecond as a UUIDv7 starts, for any 48-bit millisecond', () => {
  const viaBytes = (ms: number) => {
    const bytes = new Uint8Array(16)
    const view = new DataView(bytes.buffer)
    view.setUint16(0, Math.floor(ms / 2 ** 32))
    view.setUint32(2, ms % 2 ** 32)
    return encodeBase32(bytes).slice(0, 10)
  }
  const edges = [0, 1, 1023, 1024, 2 ** 32 - 1, 2 ** 32, 2 ** 40 - 1, 2 ** 40, 2 ** 48 - 1, Date.parse('2026-03-07T12:00:00Z'), Date.parse('2255-12-31T23:59:59.999Z')]
  for (const ms of edges) expect(timeHead(ms)).toBe(viaBytes(ms))
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (ms) => timeHead(ms) === viaBytes(ms)), { numRuns: 2000 })
  // And the id of a new event starts with it, as a fresh newId of that millisecond does.
  const now = Date.now()
  expect(createEventIds(5)(now * 1000 + 123, 9).slice(4, 14)).toBe(timeHead(now))
})
