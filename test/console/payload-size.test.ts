// Pages stay small whatever the payloads are shaped like (docs/console.md "Payloads"): indentation grows
// with depth, so a payload within every API limit (64 KiB, depth 64) would pretty-print ~60× larger — a
// page of 50 such events was 199 MB of HTML before each shown value was capped (JSON_SHOWN_MAX).
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createHarness, createTenant, PASSWORD, type Harness, type Tenant } from '../helpers'
import { consoleLogin, page } from './kit'

let h: Harness
let t: Tenant
let cookie: string
beforeAll(async () => {
  h = createHarness()
  t = await createTenant(h)
  cookie = await consoleLogin(h, t.email, PASSWORD)
})
afterAll(() => h.close())

/** A payload of just under 64 KiB made of arrays nested as deep as the API allows. */
function deepPayload(): Record<string, unknown> {
  const depth = 61 // root 1 + payload 2 + key's array … ≤ 64
  const nest = () => {
    let v: unknown = 0
    for (let i = 0; i < depth; i++) v = [v]
    return v
  }
  const payload: Record<string, unknown> = {}
  const one = JSON.stringify(nest()).length + 8
  for (let i = 0; i < Math.floor((63 * 1024) / one); i++) payload[`k${i}`] = nest()
  return payload
}

test('one deep 64 KiB payload: the page holds at most 16 KiB of it, and says so', async () => {
  const id = await t.createDeployment('live')
  const payload = deepPayload()
  const r = await h.request('POST', `/api/deployments/${id}/events`, { body: { type: 'step.checkpoint', timestamp: '2026-03-07T12:00:00Z', job_id: 'j', step_id: 's', payload }, headers: t.asAgent })
  expect(r.status).toBe(201)
  const reply = await page(h, `/deployments/${id}`, cookie)
  expect(reply.text.length).toBeLessThan(120 * 1024)
  expect(reply.text).toContain('The first 16 KiB of 63 KiB shown: the export has all of it.')
})

test('fifty such events: one page of the events table stays under 2 MiB (16 KiB of each, in the table and in its island data)', async () => {
  const id = await t.createDeployment('live')
  const payload = deepPayload()
  const events = Array.from({ length: 50 }, (_, i) => ({ type: 'step.checkpoint', timestamp: new Date(Date.parse('2026-03-07T12:00:00Z') + i * 1000).toISOString(), job_id: 'j', step_id: 's', payload }))
  // One report each (a batch adds two levels of nesting around the payload).
  for (const e of events) expect((await h.request('POST', `/api/deployments/${id}/events`, { body: e, headers: t.asAgent })).status).toBe(201)
  const reply = await page(h, `/deployments/${id}`, cookie)
  expect(reply.text.length).toBeLessThan(2 * 1024 * 1024)
}, 120_000)

test('a plan of 1 MiB within the depth limit: its page holds 16 KiB of its other data', async () => {
  const depth = 60
  const nest = () => {
    let v: unknown = 0
    for (let i = 0; i < depth; i++) v = [v]
    return v
  }
  const one = JSON.stringify(nest()).length + 1
  const extra: unknown[] = Array.from({ length: Math.floor((1000 * 1024) / one) }, nest)
  const plan = await h.request('POST', '/api/plans', { body: { mission_id: t.missionId, label: 'deep', satellite_id: 's', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }], budget: extra } }, headers: t.asKey })
  expect(plan.status).toBe(201)
  const reply = await page(h, `/plans/${plan.body.id}`, cookie)
  expect(reply.text.length).toBeLessThan(100 * 1024)
  expect(reply.text).toContain('KiB shown: GET /api/plans/{id} has all of it.')
}, 120_000)
