// Retention (docs/operations.md "Retention"): --retention-days prunes the events of terminal deployments
// that ended long enough ago, in small batches; --telemetry-retention bounds agents' samples by age.
// A fixed clock through the harness; the prune's batches interleave with reports (no timed assertion).
import { afterEach, expect, test } from 'bun:test'
import { silentLogger } from '../../src/log'
import { createRetention, type RetentionOptions } from '../../src/services/retention'
import { countOf, createHarness, createTenant, event, fixedClock, onSqlite, type FixedClock, type Harness, type Tenant } from '../helpers'

let h: Harness
let clock: FixedClock
let t: Tenant
async function setUp(retention: RetentionOptions) {
  clock = fixedClock('2026-03-07T12:00:00Z')
  h = createHarness({ clock, retention })
  t = await createTenant(h)
}
afterEach(() => h.close())

const DAY = 86_400
// A count read by hand, on either backend (queryDb). The ones on SQLite's own side tables and columns
// (event_payloads, payload_ref) are checked on SQLite only.
const count = (sql: string): Promise<number> => countOf(h, sql)
const report = async (dep: string, type: string, extra: Record<string, unknown> = {}, at = `2026-03-07T12:${String(Math.floor(Math.random() * 60)).padStart(2, '0')}:00Z`) => {
  const reply = await h.request('POST', `/api/deployments/${dep}/events`, { body: event(type, at, extra), headers: t.asAgent })
  expect(reply.status).toBe(201)
  return reply.body.id as string
}
const events = async (dep: string) => (await h.request('GET', `/api/deployments/${dep}/events?limit=500`, { headers: t.asKey })).body
const deployment = async (dep: string) => (await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body
const big = (i: number) => ({ payload: { i, blob: 'x'.repeat(2000) } })
/** 100 events of 24 KB payloads: a batch past the staging threshold, so its payloads are staged (payload_ref). */
const stagedBatch = () => ({
  events: Array.from({ length: 100 }, (_, i) => event('step.progress', `2026-03-07T12:30:${String(i % 60).padStart(2, '0')}Z`, { payload: { i, blob: `${i}-${'é'.repeat(12_000)}` } })),
})

/** A live deployment with `n` events (a third with payloads kept out of their row), then job.completed. */
async function finished(n: number, how: 'completed' | 'failed' | 'cancelled' = 'completed') {
  const dep = await t.createDeployment('live')
  await report(dep, 'job.accepted', {}, '2026-03-07T12:00:00Z')
  for (let i = 1; i < n - 1; i++) await report(dep, 'step.progress', i % 3 === 0 ? big(i) : { payload: { i } }, `2026-03-07T12:01:${String(i % 60).padStart(2, '0')}.${i}Z`)
  if (how === 'cancelled') expect((await h.request('POST', `/api/deployments/${dep}/cancel`, { headers: t.asKey })).status).toBe(200)
  else await report(dep, how === 'completed' ? 'job.completed' : 'job.failed', {}, '2026-03-07T13:00:00Z')
  return dep
}

test('events of terminal deployments that ended more than N days ago are deleted, the deployment and its last event kept', async () => {
  await setUp({ retentionDays: 7, telemetryRetentionMicros: null })
  const completed = await finished(30)
  const failed = await finished(10, 'failed')
  const cancelled = await finished(10, 'cancelled')
  const staged = await t.createDeployment('live')
  await report(staged, 'job.accepted', {}, '2026-03-07T12:00:00Z')
  expect((await h.request('POST', `/api/deployments/${staged}/events/batch`, { body: stagedBatch(), headers: t.asAgent })).body.created).toBe(100)
  await report(staged, 'job.completed', {}, '2026-03-07T14:00:00Z')
  if (onSqlite) expect(await count('SELECT count(*) FROM events WHERE payload_ref IS NOT NULL')).toBe(100)
  const running = await t.createDeployment('live')
  await report(running, 'job.accepted')
  await report(running, 'step.progress')
  clock.advance(6 * DAY)
  const recent = await finished(5)
  const lastOfCompleted = (await events(completed)).events.at(-1)
  clock.advance(1 * DAY + 60)

  // The audit records of all that (a login, a key, a cancel) are as old: they go too.
  const auditBefore = await count('SELECT count(*) FROM audit_log')
  expect(auditBefore).toBeGreaterThanOrEqual(3)
  const swept = await h.app.services.retention.sweep()
  expect(swept).toEqual({ events: 29 + 9 + 8 + 101, deployments: 4, samples: 0, audit: auditBefore })
  expect(await count('SELECT count(*) FROM audit_log')).toBe(0)
  for (const [dep, status] of [[completed, 'completed'], [failed, 'failed'], [cancelled, 'cancelled'], [staged, 'completed']] as const) {
    const list = await events(dep)
    // What is left, consistently: the list, its total and the deployment's event_count.
    expect(list.total).toBe(1)
    expect(list.events).toHaveLength(1)
    expect(await deployment(dep)).toMatchObject({ status, event_count: 1 })
  }
  expect((await events(completed)).events[0]).toEqual(lastOfCompleted)
  // Out-of-row and staged payloads went with their events: only the recent deployment's one remains.
  if (onSqlite) expect(await count('SELECT count(*) FROM event_payloads')).toBe(1)
  expect((await events(running)).total).toBe(2)
  expect((await events(recent)).total).toBe(5)
  expect(await deployment(recent)).toMatchObject({ event_count: 5 })

  // A late report to a pruned deployment gets the next arrival number, never one handed out before.
  await report(completed, 'step.progress', { payload: { late: true } })
  expect((await events(completed)).total).toBe(2)
  expect(await count(`SELECT count(*) FROM events WHERE payload = '{"late":true}' AND arrival > 30`)).toBe(1)

  // The deployment is still past retention: the next sweep keeps only the late one, its newest arrival.
  expect(await h.app.services.retention.sweep()).toMatchObject({ events: 1, deployments: 1 })
  expect((await events(completed)).events.map((e: { payload: unknown }) => e.payload)).toEqual([{ late: true }])
  // Nothing more to do until time passes; then the recent deployment's turn comes.
  expect(await h.app.services.retention.sweep()).toMatchObject({ events: 0 })
  clock.advance(7 * DAY)
  expect(await h.app.services.retention.sweep()).toMatchObject({ events: 4, deployments: 1 })
  if (onSqlite) expect(await count('SELECT count(*) FROM event_payloads')).toBe(0)
})

test('off by default: nothing of a deployment is deleted, however old', async () => {
  await setUp({ retentionDays: null, telemetryRetentionMicros: null })
  const dep = await finished(10)
  clock.advance(10_000 * DAY)
  expect(await h.app.services.retention.sweep()).toEqual({ events: 0, deployments: 0, samples: 0, audit: 0 })
  expect((await events(dep)).total).toBe(10)
})

test('telemetry samples older than --telemetry-retention are deleted; off keeps them', async () => {
  await setUp({ retentionDays: null, telemetryRetentionMicros: 2 * DAY * 1e6 })
  const send = (n: number, agent: string) =>
    Promise.all(Array.from({ length: n }, (_, i) => h.request('POST', '/api/agent/telemetry', { body: { battery_percent: i }, headers: { ...t.asKey, 'x-agent-id': agent } })))
  await send(5, 'sat-a')
  await send(4, 'sat-b')
  clock.advance(DAY)
  await send(2, 'sat-a')
  clock.advance(1.5 * DAY)
  await send(1, 'sat-b')
  expect(await h.app.services.retention.sweep()).toEqual({ events: 0, deployments: 0, samples: 9, audit: 0 })
  const kept = async (agent: string) => (await h.request('GET', `/api/agents/${agent}/telemetry`, { headers: t.asKey })).body
  expect(JSON.stringify(await kept('sat-a'))).not.toContain('"battery_percent":4')
  expect(await count("SELECT count(*) FROM agent_telemetry WHERE agent_id = 'sat-a'")).toBe(2)
  expect(await count("SELECT count(*) FROM agent_telemetry WHERE agent_id = 'sat-b'")).toBe(1)
  // The agents themselves stay, with their latest sample.
  expect((await h.request('GET', '/api/agents/sat-a', { headers: t.asKey })).status).toBe(200)

  const off = createRetention({ store: h.store, clock, log: silentLogger, options: { retentionDays: null, telemetryRetentionMicros: null } })
  clock.advance(100 * DAY)
  expect(await off.sweep()).toEqual({ events: 0, deployments: 0, samples: 0, audit: 0 })
  expect(await count('SELECT count(*) FROM agent_telemetry')).toBe(3)
})

test('reports to other deployments complete between the batches of a large prune', async () => {
  await setUp({ retentionDays: 1, telemetryRetentionMicros: null })
  const old = await t.createDeployment('live')
  await report(old, 'job.accepted', {}, '2026-03-07T12:00:00Z')
  for (let b = 0; b < 20; b++) {
    const batch = Array.from({ length: 500 }, (_, i) => event('step.progress', `2026-03-07T12:${String(b).padStart(2, '0')}:00.${String(i).padStart(3, '0')}Z`, { payload: { b, i } }))
    expect((await h.request('POST', `/api/deployments/${old}/events/batch`, { body: { events: batch }, headers: t.asAgent })).body.created).toBe(500)
  }
  await report(old, 'job.completed', {}, '2026-03-07T13:00:00Z')
  const live = await t.createDeployment('live')
  await report(live, 'job.accepted')
  clock.advance(2 * DAY)

  const timeline: string[] = []
  const retention = createRetention({ store: h.store, clock, log: silentLogger, options: { retentionDays: 1, telemetryRetentionMicros: null }, onBatch: () => timeline.push('batch') })
  let done = false
  const sweeping = retention.sweep().finally(() => (done = true))
  let sent = 0
  const reporter = (async () => {
    while (!done) {
      await report(live, 'step.progress', { payload: { n: ++sent } }, `2026-03-09T12:00:00.${String(sent).padStart(6, '0')}Z`)
      timeline.push('report')
    }
  })()
  const result = await sweeping
  await reporter
  expect(result.events).toBe(10_001)
  const batches = timeline.filter((entry) => entry === 'batch').length
  // 10 001 events in 11 batches, and the tenant's audit records of two days ago (its login, its key) in one more.
  expect(result.audit).toBeGreaterThan(0)
  expect(batches).toBe(12)
  // Between the first and the last batch, reports were answered: the prune never held them back to the end.
  const first = timeline.indexOf('batch')
  const last = timeline.lastIndexOf('batch')
  const between = timeline.slice(first, last).filter((entry) => entry === 'report').length
  expect(between).toBeGreaterThan(0)
  expect((await events(live)).total).toBe(1 + sent)
  expect((await events(old)).total).toBe(1)
})
