// canonicalDecimal and parseJsonExact against an exact BigInt reference on generated literals.
import { expect, test } from 'bun:test'
import { canonicalDecimal, parseJsonExact } from '../../src/domain/json'

/** Exact value of a JSON number literal: [sign, digits (no leading/trailing zeros), exponent] so value = ±digits × 10^exp. */
function ref(literal: string): string {
  const m = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?)(\d+))?$/.exec(literal)
  if (!m) throw new Error('not JSON: ' + literal)
  const [, sign, whole, frac = '', es, ed = '0'] = m
  let digits = (whole! + frac).replace(/^0+/, '')
  let exp = BigInt(es === '-' ? '-' + ed : ed) - BigInt(frac.length)
  if (digits === '') return '0'
  const t = digits.length - digits.replace(/0+$/, '').length
  digits = digits.slice(0, digits.length - t)
  exp += BigInt(t)
  return `${sign}${digits}x${exp}`
}

let seed = 12345
const rnd = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed % n
}
const digitsOf = (n: number, lead = true) => Array.from({ length: n }, (_, i) => (i === 0 && lead ? 1 + rnd(9) : rnd(10))).join('')
function gen(): string {
  const sign = rnd(3) === 0 ? '-' : ''
  const wl = [1, 1, 2, 15, 16, 17, 20, 399, 400, 401][rnd(10)]!
  const whole = rnd(4) === 0 ? '0' : rnd(5) === 0 ? '9'.repeat(wl) : rnd(6) === 0 ? '1' + '0'.repeat(wl - 1) : digitsOf(wl)
  const fl = [0, 0, 1, 3, 15, 17, 30, 400][rnd(8)]!
  const frac = fl ? '.' + (rnd(3) === 0 ? '0'.repeat(fl) : rnd(3) === 0 ? '0'.repeat(fl - 1) + '1' : digitsOf(fl, false)) : ''
  let exp = ''
  if (rnd(2)) {
    const e = [0, 1, 5, 15, 16, 21, 22, 300, 308, 309, 323, 324, 325, 399, 400, 401, 402, 800, 1000][rnd(19)]!
    exp = (rnd(2) ? 'e' : 'E') + ['', '+', '-'][rnd(3)] + (rnd(4) === 0 ? '00' : '') + e
  }
  return sign + whole + frac + exp
}
const special = ['9007199254740993', '9007199254740992', '9007199254740991', '-9007199254740992', '4503599627370496.5', '1.00000000000000001', '0.1', '1e-7', '1e21', '1e400', '10e399', '0.1e401', '1.000E+400', '5e-324', '2e-324', '3e-324', '1e-400', '2.2250738585072014e-308', '1.7976931348623157e308', '1.7976931348623159e308', '0.30000000000000004', '123456789012345.6', '1234567890123456.7', '100000000000000000000000', '1e22', '1e23', '-0.0e5', '0e400', '8.98846567431158e307']

test('canonicalDecimal: one text per value, and different values never share one', () => {
  const byCanon = new Map<string, string>()
  const byRef = new Map<string, string>()
  const lits = [...special, ...Array.from({ length: 20000 }, gen)]
  const bad: string[] = []
  for (const l of lits) {
    const c = canonicalDecimal(l)
    const r = ref(l)
    if (ref(c) !== r) bad.push(`${l} -> ${c} changes the value`)
    const seenR = byCanon.get(c)
    if (seenR !== undefined && seenR !== r) bad.push(`${c} for two values`)
    byCanon.set(c, r)
    const seenC = byRef.get(r)
    if (seenC !== undefined && seenC !== c) bad.push(`${l}: value ${r} has texts ${seenC} and ${c}`)
    byRef.set(r, c)
  }
  expect(bad.slice(0, 10)).toEqual([])
})

test('parseJsonExact + JSON.stringify: same value → same text, and the text is the exact value', () => {
  const byRef = new Map<string, string>()
  const bad: string[] = []
  for (const l of [...special, ...Array.from({ length: 20000 }, gen)]) {
    let out: string
    try {
      out = JSON.stringify(parseJsonExact(`[${l}]`)).slice(1, -1)
    } catch (e) {
      // exponent past 15 digits is refused on purpose
      continue
    }
    const r = ref(l)
    let ro: string
    try {
      ro = ref(out)
    } catch {
      bad.push(`${l} -> ${out} (not a JSON number)`)
      continue
    }
    if (ro !== r) bad.push(`${l} -> ${out}: value altered`)
    const seen = byRef.get(r)
    if (seen !== undefined && seen !== out) bad.push(`${l}: value has texts ${seen} and ${out}`)
    byRef.set(r, out)
  }
  expect(bad.slice(0, 10)).toEqual([])
})
