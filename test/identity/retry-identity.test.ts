// Pairs the contract (docs/api.md §3.1) calls one event are stored once; pairs it calls different are two.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createHarness, createTenant, fixedClock, type Harness, type Tenant } from '../helpers'

let h: Harness
let t: Tenant
let dep: string
beforeEach(async () => {
  h = createHarness({ clock: fixedClock('2026-03-07T12:00:01Z') })
  t = await createTenant(h)
  dep = await t.createDeployment('live')
})
afterEach(() => h.close())

const body = (payload: string, ts = '2026-03-07T12:00:00Z') => `{"type":"step.progress","timestamp":"${ts}","job_id":"j","step_id":"s","payload":${payload}}`
const one = (raw: string) => h.request('POST', `/api/deployments/${dep}/events`, { raw, headers: t.asAgent })
const batch = (payloads: string[]) => h.request('POST', `/api/deployments/${dep}/events/batch`, { raw: `{"events":[${payloads.map((p) => body(p)).join(',')}]}`, headers: t.asAgent })
const big = 'x'.repeat(1000)

const same: Array<[string, string]> = [
  ['{"a":1,"b":2}', '{"b":2,"a":1}'],
  ['{"n":72000.0}', '{"n":72000}'],
  ['{"o":{"n":72000.0,"m":[1.50e3]}}', '{"o":{"m":[1500],"n":72000}}'],
  ['{"10":1,"9":2}', '{"9":2,"10":1}'],
  ['{"o":{"10":1,"9":2},"a":1}', '{"a":1,"o":{"9":2,"10":1}}'],
  ['{"__proto__":1,"a":2}', '{"a":2,"__proto__":1}'],
  ['{"o":{"__proto__":{"x":1,"y":2}}}', '{"o":{"__proto__":{"y":2,"x":1}}}'],
  ['{"n":1e400}', '{"n":10e399}'],
  ['{"n":9007199254740993}', '{"n":9007199254740993.0}'],
  ['{"s":"\\u00e9"}', '{"s":"é"}'],
  [`{"big":"${big}","a":1}`, `{"a":1,"big":"${big}"}`],
  [`{"o":{"big":"${big}","a":1e400}}`, `{"o":{"a":10e399,"big":"${big}"}}`],
  ['null', '{}'],
  ['{"n":-0.0}', '{"n":0}'],
]
const different: Array<[string, string]> = [
  ['{"s":"\\ud800"}', '{"s":"\\ufffd"}'],
  ['{"s":"\\ud800"}', '{"s":"\\udc00"}'],
  ['{"\\ud800":1}', '{"\\udc00":1}'],
  ['{"n":9007199254740993}', '{"n":9007199254740992}'],
  ['{"n":1.00000000000000001}', '{"n":1}'],
  ['{"a":{"b":1}}', '{"a":{"b":"1"}}'],
  ['{"a":[1,2]}', '{"a":[2,1]}'],
  ['{"a":{}}', '{"a":[]}'],
  ['{"o":{"a":1},"p":{}}', '{"o":{},"p":{"a":1}}'],
  ['{"a":1,"b":{}}', '{"b":1,"a":{}}'],
]

test('one report at a time: the same event once, different events twice', async () => {
  const wrong: string[] = []
  for (const [i, [a, b]] of same.entries()) {
    const ts = `2026-03-07T12:00:${String(i).padStart(2, '0')}Z`
    const [x, y] = [await one(body(a, ts)), await one(body(b, ts))]
    if (x.status !== 201 || y.status !== 200 || x.body.id !== y.body.id) wrong.push(`same ${a} / ${b}: ${x.status} ${y.status}`)
  }
  for (const [i, [a, b]] of different.entries()) {
    const ts = `2026-03-07T12:01:${String(i).padStart(2, '0')}Z`
    const [x, y] = [await one(body(a, ts)), await one(body(b, ts))]
    if (x.status !== 201 || y.status !== 201) wrong.push(`different ${a} / ${b}: ${x.status} ${y.status} ${y.text}`)
  }
  expect(wrong).toEqual([])
})

test('pairs in one batch', async () => {
  const wrong: string[] = []
  for (const [a, b] of same) {
    const r = await batch([a, b])
    const s = r.body.results?.map((x: { status: string }) => x.status)
    if (JSON.stringify(s) !== '["created","duplicate"]' && JSON.stringify(s) !== '["duplicate","duplicate"]') wrong.push(`${a} / ${b}: ${r.text}`)
  }
  expect(wrong).toEqual([])
})

test('two batches committed in one group, then a restart', async () => {
  const [a, b] = await Promise.all([batch(same.map((p) => p[0])), batch(same.map((p) => p[1]))])
  const first = a.body.results.map((x: { id: string }) => x.id)
  expect(b.body.results.map((x: { id: string }) => x.id)).toEqual(first)
  h.restart()
  const c = await batch(same.map((p) => p[1]))
  expect(c.body.results.map((x: { id: string; status: string }) => [x.id, x.status])).toEqual(first.map((id: string) => [id, 'duplicate']))
  // Different pairs, each pair at its own instant.
  for (const [i, [x, y]] of different.entries()) {
    const ts = `2026-03-07T12:02:${String(i).padStart(2, '0')}Z`
    const r = await h.request('POST', `/api/deployments/${dep}/events/batch`, { raw: `{"events":[${body(x, ts)},${body(y, ts)}]}`, headers: t.asAgent })
    expect([x, y, r.body.created]).toEqual([x, y, 2])
  }
})
