import { describe, expect, test } from 'bun:test'
import { eventId, newId } from '../../src/domain/ids'

const FORMAT = /^evt-[0-9abcdefghjkmnpqrstvwxyz]{26}$/
const T = Date.parse('2026-03-07T12:00:00Z') * 1000

describe('ids', () => {
  test('newId: a type prefix and 26 Crockford base32 characters, never repeating', () => {
    const ids = Array.from({ length: 1000 }, () => newId('event'))
    for (const id of ids) expect(id).toMatch(FORMAT)
    expect(new Set(ids).size).toBe(1000)
  })

  test('eventId: the same format, derived from created_at and seq; distinct seqs give distinct ids, in order', () => {
    const ids = [eventId(T, 1), eventId(T, 2), eventId(T + 999, 3), eventId(T + 1000, 4), eventId(T + 1000, 2 ** 40), eventId(T + 1000, Number.MAX_SAFE_INTEGER)]
    for (const id of ids) expect(id).toMatch(FORMAT)
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
    expect(eventId(T, 7)).toBe(eventId(T, 7))
  })
})
