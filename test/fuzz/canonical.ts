// The fuzz suite's own reading of JSON values, independent of the server's: numbers compared by their exact
// decimal value (any spelling, any exponent), strings by UTF-16 units (a lone surrogate stays itself), and
// objects by their keys in any order (the last of duplicate keys wins, as in JSON.parse).
import type { J } from './json-text'

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/

/** A number literal's exact value as sign, significant digits and the decimal point's position (a BigInt). */
export function decimalOf(literal: string): { sign: '' | '-'; digits: string; point: bigint } {
  const m = NUMBER.exec(literal)
  if (!m) throw new Error(`not a JSON number: ${literal.slice(0, 40)}`)
  const [, sign, whole, fraction = '', exponent = '0'] = m
  let digits = whole! + fraction
  let point = BigInt(whole!.length) + BigInt(exponent)
  const lead = /^0*/.exec(digits)![0].length
  digits = digits.slice(lead).replace(/0+$/, '')
  point -= BigInt(lead)
  // Zero is zero: -0 and 0e5 read as 0 (JSON.stringify writes -0 as 0 too).
  return digits === '' ? { sign: '', digits: '0', point: 1n } : { sign: sign as '' | '-', digits, point }
}

/** One text per value: `0.<digits>e<point>`, so 10e399, 1e400 and 0.1e401 are the same. */
export function canonicalNumber(literal: string): string {
  const { sign, digits, point } = decimalOf(literal)
  return digits === '0' ? '0' : `${sign}0.${digits}e${point}`
}

class Num {
  constructor(readonly canonical: string) {}
}

/** JSON.parse keeping every number as its exact value (reviver with the literal's source text). */
export function parseExact(text: string): unknown {
  return JSON.parse(text, function (_key, value, context?: { source?: string }) {
    return typeof value === 'number' ? new Num(canonicalNumber(context?.source ?? String(value))) : value
  })
}

/** A canonical text of a value parsed by parseExact: keys sorted, numbers canonical, strings escaped. */
export function canon(value: unknown): string {
  if (value instanceof Num) return `#${value.canonical}`
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canon).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canon(o[k])}`).join(',')}}`
  }
  return String(value)
}

export const canonOfText = (text: string) => canon(parseExact(text))

/** A small deterministic random source for respelling, seeded from the generator. */
function random(seed: number) {
  let a = seed >>> 0
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) % n + n) % n
  }
}

/** Another literal of exactly the same value: `72000` → `7.2e4`, `1e400` → `10e399`, `1e-7` → `0.0000001`. */
export function respellNumber(literal: string, pick: (n: number) => number): string {
  const { sign, digits, point } = decimalOf(literal)
  if (digits === '0') {
    const neg = literal.startsWith('-') ? '-' : ''
    return [`${neg}0`, `${neg}0.0`, `${neg}0e0`, `${neg}0.000E+12`][pick(4)]!
  }
  const len = BigInt(digits.length)
  const forms = [`${sign}0.${digits}e${point}`, `${sign}${digits}e${point - len}`, `${sign}${digits}0E${point - len - 1n}`, `${sign}${digits[0]}.${digits.slice(1) || '0'}e+${point - 1n}`.replace('e+-', 'e-')]
  if (point >= 0n && point <= 450n && digits.length <= 450) {
    const p = Number(point)
    const whole = p >= digits.length ? digits + '0'.repeat(p - digits.length) : digits.slice(0, p) || '0'
    forms.push(`${sign}${whole}.${digits.slice(p) || '0'}`)
  } else if (point < 0n && point > -450n) forms.push(`${sign}0.${'0'.repeat(-Number(point))}${digits}`)
  return forms[pick(forms.length)]!
}

/**
 * The same value spelled differently, as a retrying client might send it: keys in another order (duplicates
 * reduced to the one JSON.parse keeps) and numbers respelled. Strings are written as before.
 */
export function respell(j: J, seed: number): J {
  const pick = random(seed)
  const go = (v: J): J => {
    switch (v.t) {
      case 'num':
        return { t: 'num', text: respellNumber(v.text, pick) }
      case 'arr':
        return { t: 'arr', items: v.items.map(go) }
      case 'obj': {
        const last = new Map<string, J>()
        for (const [k, x] of v.entries) last.set(k, x)
        const entries = [...last].map(([k, x]): [string, J] => [k, go(x)])
        for (let i = entries.length - 1; i > 0; i--) {
          const r = pick(i + 1)
          ;[entries[i], entries[r]] = [entries[r]!, entries[i]!]
        }
        return { t: 'obj', entries }
      }
      case 'deep':
      case 'wide':
        return v.t === 'deep' ? { ...v, leaf: go(v.leaf) } : { ...v, item: go(v.item) }
      default:
        return v
    }
  }
  return go(j)
}
