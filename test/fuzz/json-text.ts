// Hostile JSON as text: a small tree of values that serialises to text with a chosen spelling (escapes,
// number forms, key order), so a generator can write what JSON.stringify never would — lone surrogate
// escapes, raw lone surrogates, 400-digit literals, duplicate keys, nesting 100 000 deep built as a string.
import fc from 'fast-check'

export type J =
  | { t: 'lit'; text: 'null' | 'true' | 'false' }
  | { t: 'num'; text: string }
  /** `esc`: 'json' as JSON.stringify writes it, 'u' every unit as \uXXXX, 'raw' unescaped where JSON allows. */
  | { t: 'str'; s: string; esc: 'json' | 'u' | 'raw' }
  /** `unit` repeated `n` times, in one string: huge strings stay small in a counterexample. */
  | { t: 'rep'; unit: string; n: number; esc: 'json' | 'u' | 'raw' }
  | { t: 'arr'; items: J[] }
  | { t: 'obj'; entries: Array<[string, J]> }
  /** `depth` containers around `leaf`, written with String.repeat, never by recursion. */
  | { t: 'deep'; depth: number; kind: '[' | '{'; leaf: J }
  /** `count` copies of `item` in one array or object (keys k0, k1, …). */
  | { t: 'wide'; count: number; kind: '[' | '{'; item: J }

export const str = (s: string, esc: 'json' | 'u' | 'raw' = 'json'): J => ({ t: 'str', s, esc })
export const num = (text: string): J => ({ t: 'num', text })
export const obj = (entries: Record<string, J> | Array<[string, J]>): J => ({ t: 'obj', entries: Array.isArray(entries) ? entries : Object.entries(entries) })

const hex4 = (code: number) => code.toString(16).padStart(4, '0')

function writeString(s: string, esc: 'json' | 'u' | 'raw'): string {
  if (esc === 'json') return JSON.stringify(s) // well-formed: a lone surrogate becomes its \udXXX escape
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i)
    if (esc === 'u') out += `\\u${i % 2 ? hex4(code).toUpperCase() : hex4(code)}`
    else if (code === 0x22 || code === 0x5c) out += `\\${s[i]}`
    else if (code < 0x20) out += `\\u${hex4(code)}`
    else out += s[i] // a raw lone surrogate: the UTF-8 encoder turns it into U+FFFD on the wire
  }
  return `${out}"`
}

/** The JSON text of a value. Recursion follows the tree, which stays shallow; depth lives in 'deep' nodes. */
export function write(j: J): string {
  switch (j.t) {
    case 'lit':
    case 'num':
      return j.text
    case 'str':
      return writeString(j.s, j.esc)
    case 'rep':
      return writeString(j.unit.repeat(j.n), j.esc)
    case 'arr':
      return `[${j.items.map(write).join(',')}]`
    case 'obj':
      return `{${j.entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v)}`).join(',')}}`
    case 'deep':
      return j.kind === '[' ? `${'['.repeat(j.depth)}${write(j.leaf)}${']'.repeat(j.depth)}` : `${'{"d":'.repeat(j.depth)}${write(j.leaf)}${'}'.repeat(j.depth)}`
    case 'wide': {
      const item = write(j.item)
      if (j.kind === '[') return `[${Array(j.count).fill(item).join(',')}]`
      return `{${Array.from({ length: j.count }, (_, i) => `"k${i}":${item}`).join(',')}}`
    }
  }
}

/** How many containers deep a value reaches (a scalar is 0, `[]` is 1). */
export function depthOf(j: J): number {
  switch (j.t) {
    case 'arr':
      return 1 + Math.max(0, ...j.items.map(depthOf))
    case 'obj':
      return 1 + Math.max(0, ...j.entries.map(([, v]) => depthOf(v)))
    case 'deep':
      return j.depth + depthOf(j.leaf)
    case 'wide':
      return 1 + depthOf(j.item)
    default:
      return 0
  }
}

// ---- arbitraries ----------------------------------------------------------------------------------------

const HOSTILE_UNITS = ['\ud800', '\udfff', '\udc00\ud800', '\u0000', '\u001f', '\u2028', '\u2029', '\ufeff', '\uffff', '\ufffd', '"', '\\', '/', '😀', 'é', '\u0301', '\x7f']

/** Short strings mixing ordinary text with lone surrogates, U+0000, separators and escapes' characters. */
export const hostileText = fc
  .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom(...HOSTILE_UNITS)), { maxLength: 6 })
  .map((parts) => parts.join(''))

/** Number literals at the edges of a double and beyond it. */
export const EDGE_NUMBERS = [
  '0', '-0', '-0.0', '0e0', '1e400', '-1e400', '10e399', '1e-400', '-1e-400', '1e-7', '0.0000001', '1E+2', '0.1e1',
  '9007199254740993', '9007199254740992', '9007199254740993.0', '9.007199254740993e15', '4503599627370496.5',
  '1.00000000000000001', '1e308', '1.7976931348623157e308', '1.7976931348623159e308', '5e-324', '2e-324',
  '1e999999999', '-1e-999999999', '123456789012345678901234567890', '72000', '72000.0', '7.2e4',
]

const digits = (min: number, max: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''))

export const numberLiteral: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
  { weight: 2, arbitrary: fc.integer().map(String) },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(String) },
  // 400+ digit literals, and mantissas with huge exponents
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('', '-'), fc.integer({ min: 1, max: 9 }), digits(399, 460)).map(([s, d, rest]) => `${s}${d}${rest}`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('', '-'), digits(1, 20), fc.option(digits(1, 20), { nil: undefined }), fc.constantFrom('e', 'E', 'e+', 'e-', 'E-'), fc.oneof(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 2 ** 31 })))
      .map(([s, whole, frac, e, exp]) => `${s}${whole.replace(/^0+(?=\d)/, '')}${frac ? `.${frac}` : ''}${e}${exp}`),
  },
)

export const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', '0', '1', '-1', '01', 'a', 'b', 'message', 'type']
const key = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: hostileText })

const scalar: fc.Arbitrary<J> = fc.oneof(
  fc.constantFrom<J>({ t: 'lit', text: 'null' }, { t: 'lit', text: 'true' }, { t: 'lit', text: 'false' }),
  numberLiteral.map(num),
  fc.tuple(hostileText, fc.constantFrom('json', 'u', 'raw') as fc.Arbitrary<'json' | 'u' | 'raw'>).map(([s, esc]) => str(s, esc)),
)

/** A payload-sized value: shallow trees, duplicate and `__proto__` keys, hostile strings and numbers. */
export const jsonValue: fc.Arbitrary<J> = fc.letrec<{ value: J }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }).map((items): J => ({ t: 'arr', items })),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map((entries): J => ({ t: 'obj', entries })),
  ),
})).value

/** Nesting depths around the limit (64 from the body's root) and far past it, up to 100 000. */
export const nestingDepth = fc.oneof(fc.integer({ min: 55, max: 70 }), fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(62, 63, 64, 65, 1000, 15_000, 100_000))

export const deepValue: fc.Arbitrary<J> = fc
  .tuple(nestingDepth, fc.constantFrom('[', '{') as fc.Arbitrary<'[' | '{'>, scalar)
  .map(([depth, kind, leaf]): J => ({ t: 'deep', depth, kind, leaf }))

export const wideValue: fc.Arbitrary<J> = fc
  .tuple(fc.integer({ min: 100, max: 40_000 }), fc.constantFrom('[', '{') as fc.Arbitrary<'[' | '{'>, scalar)
  .map(([count, kind, item]): J => ({ t: 'wide', count, kind, item }))

/** A string of `n` repetitions of a short hostile unit: from a few KiB to past the 1 MiB body limit. */
export const hugeString: fc.Arbitrary<J> = fc
  .tuple(fc.constantFrom('x', 'é', '\ud800', '\\', '"', '😀'), fc.integer({ min: 20_000, max: 1_200_000 }), fc.constantFrom('json', 'u', 'raw') as fc.Arbitrary<'json' | 'u' | 'raw'>)
  .map(([unit, n, esc]): J => ({ t: 'rep', unit, n: Math.ceil(n / unit.length), esc }))

export const hostileValue: fc.Arbitrary<J> = fc.oneof(
  { weight: 4, arbitrary: jsonValue },
  { weight: 2, arbitrary: deepValue },
  { weight: 1, arbitrary: wideValue },
  { weight: 1, arbitrary: hugeString },
)
