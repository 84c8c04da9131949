import { describe, expect, test } from 'bun:test'
import { formatTimestamp, parseTimestamp } from '../../src/domain/time'
import { regexParts } from './time-reference'

const base = Date.parse('2026-03-07T12:00:00Z') * 1000

describe('parseTimestamp', () => {
  test.each([
    ['2026-03-07T12:00:00Z', base],
    ['2026-03-07T12:00:00z', base],
    ['2026-03-07t12:00:00Z', base],
    ['2026-03-07T12:00:00+00:00', base],
    ['2026-03-07T07:00:00-05:00', base],
    ['2026-03-07T13:30:00+01:30', base],
    ['2026-03-07T12:00:00.5Z', base + 500_000],
    ['2026-03-07T12:00:00.123456Z', base + 123_456],
    ['2026-03-07T12:00:00.123456789Z', base + 123_456],
    ['2024-02-29T00:00:00Z', Date.parse('2024-02-29T00:00:00Z') * 1000],
    ['1969-12-31T23:59:59.999999Z', -1],
    ['2255-06-05T23:47:34.740991Z', Number.MAX_SAFE_INTEGER],
    ['2255-06-06T11:47:34.740987+12:00', Number.MAX_SAFE_INTEGER - 4],
    ['2255-06-06T11:47:34.740991+12:00', Number.MAX_SAFE_INTEGER],
    ['0000-01-01T00:00:00Z', -62_167_219_200_000_000],
    ['0001-01-01T00:00:00Z', Date.parse('0001-01-01T00:00:00Z') * 1000],
    // Before −2^53 µs, what a double holds exactly is kept: here a multiple of 8 µs.
    ['1000-01-01T00:00:00.000008Z', Date.parse('1000-01-01T00:00:00Z') * 1000 + 8],
  ])('%s', (text, micros) => expect(parseTimestamp(text)).toBe(micros))

  test.each([
    '2026-03-07T12:00:00', // no offset
    '2026-03-07 12:00:00Z',
    '2026-02-30T12:00:00Z', // impossible date
    '2025-02-29T12:00:00Z', // not a leap year
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-03-07T24:00:00Z',
    '2026-03-07T12:60:00Z',
    '2026-03-07T12:00:60Z',
    '2026-03-07T12:00:00+24:00',
    '2026-03-07T12:00:00.Z',
    '2026-03-07T12:00:00.1234567890Z', // 10 fractional digits
    '9999-12-31T23:59:59.999999Z', // past 2^53 microseconds: no longer exact
    '2300-01-01T00:00:00.000001Z',
    '0000-01-01T00:00:00+00:01', // before year 0000
    '1000-01-01T00:00:00.000003Z', // before −2^53 µs a double cannot hold it: it would be stored as .000004
    '1684-07-28T00:12:25.259007Z', // −2^53 − 1 µs
    '2026-03-07',
    '',
    'yesterday',
  ])('refuses %p', (text) => expect(parseTimestamp(text)).toBeNull())
})

/** The definition parseTimestamp implements by hand (test/domain/time-reference.ts), exact or refused. */
function reference(text: string): number | null {
  const parts = regexParts(text)
  if (!parts) return null
  const { ms, micros } = parts
  const instant = ms * 1000 + micros
  // Exact, or refused: the instant in integers must be the double's value.
  const exact = BigInt(ms) * 1000n + BigInt(micros)
  if (BigInt(instant) !== exact) return null
  return instant >= -62_167_219_200_000_000 && instant <= Number.MAX_SAFE_INTEGER ? instant : null
}

describe('parseTimestamp agrees with its definition', () => {
  test('on 20 000 valid and mutated timestamps', () => {
    const seeds = ['2026-03-07T12:00:00Z', '2024-02-29T23:59:59.999999+05:30', '0000-01-01T00:00:00.1-00:00', '2255-06-05T23:47:34.740991Z', '1999-12-31t00:00:00.123456789z', '1000-01-01T00:00:00.000003Z', '1684-07-28T00:12:25.259007Z']
    const alphabet = '0123456789-:.TtZz+ '
    let seed = 42
    const random = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n)
    for (let i = 0; i < 20_000; i++) {
      let text = seeds[random(seeds.length)]!
      for (let k = random(3); k >= 0; k--) {
        const at = random(text.length + 1)
        const op = random(3)
        const c = alphabet[random(alphabet.length)]!
        text = op === 0 ? text.slice(0, at) + c + text.slice(at + 1) : op === 1 ? text.slice(0, at) + c + text.slice(at) : text.slice(0, at) + text.slice(at + 1)
      }
      if (parseTimestamp(text) !== reference(text)) throw new Error(`${text}: ${parseTimestamp(text)} vs ${reference(text)}`)
    }
  })
})

describe('formatTimestamp', () => {
  test.each([
    [base, '2026-03-07T12:00:00Z'],
    [base + 500_000, '2026-03-07T12:00:00.5Z'],
    [base + 1_000, '2026-03-07T12:00:00.001Z'],
    [base + 123_456, '2026-03-07T12:00:00.123456Z'],
    [base + 120, '2026-03-07T12:00:00.00012Z'],
    [-1, '1969-12-31T23:59:59.999999Z'],
  ])('%d → %s', (micros, text) => expect(formatTimestamp(micros)).toBe(text))

  test('round-trips what it parses', () => {
    for (const text of ['2026-03-07T12:00:01.5Z', '2026-03-07T12:00:00.123456Z', '1999-12-31T23:59:59Z'])
      expect(formatTimestamp(parseTimestamp(text)!)).toBe(text)
  })
})
