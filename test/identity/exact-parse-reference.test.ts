// parseJsonExact's marker rewrite against a reviver (context.source) reference.
import { expect, test } from 'bun:test'
import { canonicalDecimal, parseJsonExact } from '../../src/domain/json'

const rawJSON = (JSON as any).rawJSON
function reference(text: string) {
  return JSON.parse(text, function (this: unknown, _k: string, v: unknown, ctx?: { source?: string }) {
    if (typeof v !== 'number' || ctx?.source === undefined) return v
    const exact = canonicalDecimal(ctx.source)
    const unsafe = !Number.isFinite(v) || Math.abs(v) >= 2 ** 53 || (v === 0 && exact !== '0') || canonicalDecimal(String(v)) !== exact
    return unsafe ? rawJSON(exact) : v
  } as any)
}

let seed = 987
const rnd = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed % n
}
const keys = ['"a"', '"b"', '"__proto__"', '"constructor"', '"a\\"b"', '"\\\\"', '"\\\\\\""', '"\\u0061"', '"0"', '"10"', '"9"', '"x,y"', '"[{"', '"}"', '"\\ud800"', '"length"']
const nums = ['1', '12345678901234567890', '1e400', '-1e400', '9007199254740993.0', '0.1', '1.00000000000000001', '5e-324', '1e-400', '72000.0']
const strs = ['"x"', '"\\""', '"\\\\"', '"[[["', '"{"', '"1e400"', '"\\\\\\"1e400"', '"\\u0000exact-"']
function value(d: number): string {
  const r = rnd(10)
  if (d > 6 || r < 4) return r < 3 ? nums[rnd(nums.length)]! : r === 3 ? strs[rnd(strs.length)]! : ['true', 'null', 'false'][rnd(3)]!
  if (r < 7) return `[${Array.from({ length: rnd(4) }, () => value(d + 1)).join(rnd(2) ? ',' : ' , ')}]`
  return `{${Array.from({ length: rnd(5) }, () => `${keys[rnd(keys.length)]}:${value(d + 1)}`).join(',')}}`
}

test('marker rewrite agrees with the reviver reference on 20 000 generated documents', () => {
  const bad: string[] = []
  for (let i = 0; i < 20000; i++) {
    const text = value(0)
    const a = JSON.stringify(parseJsonExact(text))
    const b = JSON.stringify(reference(text))
    if (a !== b) bad.push(`${text}\n  got ${a}\n  ref ${b}`)
  }
  expect(bad.slice(0, 5)).toEqual([])
})
