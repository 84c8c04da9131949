import { describe, expect, test } from 'bun:test'
import { canonicalJson } from '../../src/domain/event'
import { canonicalDecimal, parseJsonExact } from '../../src/domain/json'

describe('parseJsonExact', () => {
  test.each([
    ['{"n":1772884800123456789}', '{"n":1772884800123456789}'],
    ['{"n":-9007199254740993}', '{"n":-9007199254740993}'],
    ['{"n":9007199254740993.0}', '{"n":9007199254740993}'],
    ['{"n":9.007199254740993e15}', '{"n":9007199254740993}'],
    ['{"n":9007199254740993.50}', '{"n":9007199254740993.5}'],
    // Plain decimal while that pads at most 21 zeros, as JavaScript writes numbers; past it an exponent, so
    // a canonical form is never much longer than the literal sent.
    ['{"n":1e21}', `{"n":1${'0'.repeat(21)}}`],
    ['{"n":1e22}', '{"n":1e22}'],
    ['{"n":1e300}', '{"n":1e300}'],
    ['{"n":1e400}', '{"n":1e400}'], // past a double: kept exact, never null
    ['{"n":1e-400}', '{"n":1e-400}'],
    ['{"n":1.00000000000000001e-5}', '{"n":0.0000100000000000000001}'],
    ['{"n":1.00000000000000001e-30}', '{"n":1.00000000000000001e-30}'],
    ['{"n":1.5e-22}', '{"n":1.5e-22}'], // a double's own value stays a number
    ['{"a":[{"b":12345678901234567890}],"c":1.5,"d":72000.0}', '{"a":[{"b":12345678901234567890}],"c":1.5,"d":72000}'],
    ['{"small":1e10,"x":123}', '{"small":10000000000,"x":123}'],
    // 2^53 + 1 with the point moved: no 16-digit run without the point, a one-digit exponent.
    ['{"n":90071992547409.93e2}', '{"n":9007199254740993}'],
    // 15 digits and a one-digit exponent, past what a double holds exactly.
    ['{"n":123456789012345e9}', '{"n":123456789012345000000000}'],
    // Below 2^53 but finer than a double: kept as written rather than rounded.
    ['{"n":4503599627370496.5}', '{"n":4503599627370496.5}'],
    ['{"n":1.00000000000000001}', '{"n":1.00000000000000001}'],
    ['{"n":1.000000000000000010e0}', '{"n":1.00000000000000001}'],
    // A double's own shortest form stays a number.
    ['{"n":0.30000000000000004,"m":1.5e3}', '{"n":0.30000000000000004,"m":1500}'],
  ])('%s → %s', (text, written) => expect(JSON.stringify(parseJsonExact(text))).toBe(written))

  test('equal values written differently are one canonical value; different ones differ', () => {
    const canon = (text: string) => canonicalJson(parseJsonExact(text))
    expect(canon('{"t":9007199254740993}')).toBe(canon('{"t":9007199254740993.0}'))
    expect(canon('{"t":9007199254740993}')).toBe(canon('{"t":9.007199254740993e15}'))
    expect(canon('{"t":9007199254740993}')).not.toBe(canon('{"t":9007199254740992}'))
    expect(canon('{"t":1e-400}')).not.toBe(canon('{"t":2e-400}'))
    expect(canon('{"t":90071992547409.93e2}')).not.toBe(canon('{"t":9007199254740992}'))
    expect(canon('{"t":1.00000000000000001}')).not.toBe(canon('{"t":1}'))
    expect(canon('{"t":1.00000000000000001}')).toBe(canon('{"t":1.000000000000000010}'))
  })

  test('safe numbers stay plain numbers', () => {
    expect(parseJsonExact('{"a":9007199254740991,"b":0.1,"c":0}')).toEqual({ a: 9007199254740991, b: 0.1, c: 0 })
    expect(parseJsonExact('{"a":0.30000000000000004,"b":-0.0,"c":1e-7,"d":12345678901234.5}')).toEqual({ a: 0.30000000000000004, b: -0, c: 1e-7, d: 12345678901234.5 })
  })

  test('invalid JSON still throws', () => {
    expect(() => parseJsonExact('{"n":1772884800123456789')).toThrow(SyntaxError)
  })
})

describe('canonicalDecimal', () => {
  test.each([
    ['1.50e3', '1500'],
    ['-0.0', '0'],
    ['000', '0'],
    ['12.3400', '12.34'],
    ['-1.5e-3', '-0.0015'],
    ['5e1000', '5e1000'], // too long to expand: kept as written
  ])('%s → %s', (literal, canonical) => expect(canonicalDecimal(literal)).toBe(canonical))
})
