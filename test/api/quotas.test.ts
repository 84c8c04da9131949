// Per-user quotas (docs/operations.md "Quotas"): new events per period (429) and stored bytes (403). Over a
// quota nothing is stored; another user is never affected; the metrics count each refusal.
import { afterEach, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { eventSize, EVENT_ROW_BYTES } from '../../src/domain/quota'
import { makeEventInput } from '../../src/domain/event'
import { createMetrics } from '../../src/metrics'
import { createHarness, createTenant, event, fixedClock, onPostgres, type Harness } from '../helpers'

let h: Harness
afterEach(() => h?.close())

const userIdOf = async (tenant: { cookie: string }) => (await h.request('GET', '/api/auth/me', { headers: { cookie: tenant.cookie } })).body.user.id as string
const total = async (tenant: { asKey: Record<string, string> }, deployment: string) =>
  (await h.request('GET', `/api/deployments/${deployment}/events`, { headers: tenant.asKey })).body.total as number

describe('--quota-events-per-user', () => {
  test('N new events per user in each period; the next is 429 until the period ends, with Retry-After; nothing stored', async () => {
    const clock = fixedClock('2026-03-07T12:00:00Z')
    const metrics = createMetrics()
    h = createHarness({ clock, quotas: { events: { count: 5, periodMicros: 3600e6 }, storageBytes: null }, metrics })
    const a = await createTenant(h, 'operator', 'sat-a')
    const b = await createTenant(h, 'operator', 'sat-b')
    const dep = await a.createDeployment('live')
    for (let i = 0; i < 5; i++) expect((await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', `2026-03-07T12:00:0${i}Z`), headers: a.asAgent })).status).toBe(201)
    const over = await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', '2026-03-07T12:00:09Z'), headers: a.asAgent })
    expect(over.status).toBe(429)
    expect(over.body.code).toBe('RATE_LIMITED')
    expect(over.body.error).toContain('at most 5 new events per user until 2026-03-07T13:00:00Z (--quota-events-per-user)')
    expect(over.headers.get('retry-after')).toBe('3600')
    // A batch that would pass the quota is refused whole.
    const batch = await h.request('POST', `/api/deployments/${dep}/events/batch`, { body: { events: [event('step.progress', '2026-03-07T12:01:00Z')] }, headers: a.asAgent })
    expect(batch.status).toBe(429)
    expect(await total(a, dep)).toBe(5)
    // Another user has a count of their own.
    const other = await b.createDeployment('live')
    expect((await h.request('POST', `/api/deployments/${other}/events/batch`, { body: { events: [1, 2, 3, 4, 5].map((s) => event('step.progress', `2026-03-07T12:00:0${s}Z`)) }, headers: b.asAgent })).status).toBe(200)
    // The next period starts the count again.
    clock.advance(3600)
    expect((await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', '2026-03-07T12:00:09Z'), headers: a.asAgent })).status).toBe(201)
    expect(await total(a, dep)).toBe(6)
    expect(await metrics.render()).toContain('ground_console_quota_refusals_total{quota="events"} 2')
  })

  test('a refused report (400, 404, 409) uses no quota; a retry recognised as such uses none either', async () => {
    h = createHarness({ quotas: { events: { count: 2, periodMicros: 86_400e6 }, storageBytes: null } })
    const a = await createTenant(h)
    const dep = await a.createDeployment('live')
    expect((await h.request('POST', `/api/deployments/${dep}/events`, { body: { type: 'nope' }, headers: a.asAgent })).status).toBe(400)
    expect((await h.request('POST', '/api/deployments/dep-unknown/events', { body: event('step.progress'), headers: a.asAgent })).status).toBe(404)
    const first = await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress'), headers: a.asAgent })
    expect(first.status).toBe(201)
    const again = await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress'), headers: a.asAgent })
    expect(again.status).toBe(200)
    expect((await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', '2026-03-07T12:00:01Z'), headers: a.asAgent })).status).toBe(201)
    expect(await total(a, dep)).toBe(2)
  })

  test('concurrent reports cannot pass the quota together', async () => {
    h = createHarness({ quotas: { events: { count: 10, periodMicros: 86_400e6 }, storageBytes: null } })
    const a = await createTenant(h)
    const dep = await a.createDeployment('live')
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', `2026-03-07T12:00:${String(i).padStart(2, '0')}Z`), headers: a.asAgent })),
    )
    expect(replies.filter((r) => r.status === 201)).toHaveLength(10)
    expect(replies.filter((r) => r.status === 429)).toHaveLength(20)
    expect(await total(a, dep)).toBe(10)
  })
})

describe('--quota-storage-per-user', () => {
  test('at most so many bytes of stored events per user; past it a report is 403 naming the quota; nothing stored', async () => {
    const metrics = createMetrics()
    h = createHarness({ quotas: { events: null, storageBytes: 1024 * 1024 }, metrics })
    const a = await createTenant(h, 'operator', 'sat-a')
    const b = await createTenant(h, 'operator', 'sat-b')
    const dep = await a.createDeployment('live')
    const big = { blob: 'x'.repeat(60_000) }
    let stored = 0
    let refused: Awaited<ReturnType<Harness['request']>> | null = null
    for (let i = 0; i < 40 && !refused; i++) {
      const reply = await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', `2026-03-07T12:00:${String(i).padStart(2, '0')}Z`, { payload: big }), headers: a.asAgent })
      if (reply.status === 201) stored++
      else refused = reply
    }
    expect(stored).toBe(17) // 17 × ~60 KB fit in 1 MiB, the 18th does not
    expect(refused!.status).toBe(403)
    expect(refused!.body.code).toBe('FORBIDDEN')
    expect(refused!.body.error).toContain('of the 1 MiB each user may keep (--quota-storage-per-user); nothing was stored')
    expect(await total(a, dep)).toBe(17)
    // Small events do not fit either, and another user is unaffected.
    expect((await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', '2026-03-07T13:00:00Z', { payload: { blob: 'x'.repeat(50_000) } }), headers: a.asAgent })).status).toBe(403)
    const other = await b.createDeployment('live')
    expect((await h.request('POST', `/api/deployments/${other}/events`, { body: event('step.progress', '2026-03-07T12:00:00Z', { payload: big }), headers: b.asAgent })).status).toBe(201)
    expect(await metrics.render()).toContain('ground_console_quota_refusals_total{quota="storage"} 2')
  })

  test('stored bytes are what eventSize counts, kept in step by every report, and given back by retention', async () => {
    const clock = fixedClock('2026-03-07T12:00:00Z')
    h = createHarness({ clock, retention: { retentionDays: 1, telemetryRetentionMicros: null } })
    const a = await createTenant(h)
    const dep = await a.createDeployment('live')
    const sent = [
      event('job.accepted', '2026-03-07T12:00:00Z', { payload: { note: 'é😀' } }),
      event('step.progress', '2026-03-07T12:00:01Z', { step_id: 'capture', payload: { blob: 'y'.repeat(9000) } }),
      event('job.completed', '2026-03-07T12:00:02Z', { job_id: null }),
    ]
    for (const body of sent) expect((await h.request('POST', `/api/deployments/${dep}/events`, { body, headers: a.asAgent })).status).toBe(201)
    const sizes = sent.map((e) => eventSize(makeEventInput({ type: e.type, timestamp: 0, jobId: (e.job_id as string | null) ?? null, stepId: (e as { step_id?: string }).step_id ?? null, payload: e.payload as Record<string, never> })))
    expect(sizes[0]).toBe(JSON.stringify({ note: 'é😀' }).length + 3 + 'job.accepted'.length + 'job-1'.length + EVENT_ROW_BYTES)
    expect(await h.store.storedBytes(await userIdOf(a))).toBe(sizes[0]! + sizes[1]! + sizes[2]!)
    // Retention keeps the last arrival and gives back the rest.
    clock.advance(2 * 86_400)
    await h.app.services.retention.sweep()
    expect(await total(a, dep)).toBe(1)
    expect(await h.store.storedBytes(await userIdOf(a))).toBe(sizes[2]!)
  })

  // SQLite-only: it runs SQLite's migration 0006 backfill on the SQLite file (PostgreSQL's schema was
  // born with stored_bytes: there is no older database to backfill).
  test.skipIf(onPostgres)('migration 0006 counts the events stored before it the same way', async () => {
    h = createHarness()
    const a = await createTenant(h)
    const dep = await a.createDeployment('live')
    await h.request('POST', `/api/deployments/${dep}/events/batch`, {
      body: { events: [event('step.progress', '2026-03-07T12:00:00Z', { payload: { big: 'z'.repeat(30_000) } }), event('step.progress', '2026-03-07T12:00:01Z', { step_id: 's' })] },
      headers: a.asAgent,
    })
    await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.done', '2026-03-07T12:00:02Z', { payload: { huge: 'w'.repeat(60_000) } }), headers: a.asAgent })
    const kept = await h.store.storedBytes(await userIdOf(a))
    expect(kept).toBeGreaterThan(90_000)
    // The same database as an older version left it (no count yet), on a second connection; then the migration's backfill.
    const { Database } = await import('bun:sqlite')
    const db = new Database(h.dbPath)
    db.run('UPDATE deployments SET stored_bytes = 0')
    const backfill = readFileSync(join(import.meta.dir, '../../drizzle/0006_quotas.sql'), 'utf8').split('--> statement-breakpoint')[1]!
    db.run(backfill)
    const row = db.query('SELECT sum(stored_bytes) AS bytes FROM deployments').get() as { bytes: number }
    db.close()
    expect(row.bytes).toBe(kept)
  })
})

describe('GET /api/usage and the account page', () => {
  test('without quotas: the stored bytes, no limits; with them: the period’s count and both limits', async () => {
    h = createHarness()
    const a = await createTenant(h)
    const dep = await a.createDeployment('live')
    await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress'), headers: a.asAgent })
    const plain = await h.request('GET', '/api/usage', { headers: a.asKey })
    expect(plain.body).toEqual({ events: null, storage: { used_bytes: await h.store.storedBytes(await userIdOf(a)), limit_bytes: null } })
    expect(plain.body.storage.used_bytes).toBeGreaterThan(EVENT_ROW_BYTES)
    await h.close()

    const clock = fixedClock('2026-03-07T12:30:00Z')
    h = createHarness({ clock, quotas: { events: { count: 100, periodMicros: 3600e6 }, storageBytes: 5 * 1024 ** 3 } })
    const b = await createTenant(h)
    const other = await b.createDeployment('live')
    await h.request('POST', `/api/deployments/${other}/events/batch`, { body: { events: [event('step.progress'), event('step.done')] }, headers: b.asAgent })
    const usage = await h.request('GET', '/api/usage', { headers: { cookie: b.cookie } })
    expect(usage.body.events).toEqual({ used: 2, limit: 100, period_ends_at: '2026-03-07T13:00:00Z' })
    expect(usage.body.storage.limit_bytes).toBe(5 * 1024 ** 3)
    const { page } = await import('../console/kit')
    const account = await page(h, '/account', b.cookie)
    expect(account.status).toBe(200)
    const facts = account.text.slice(account.text.indexOf('id="usage"'))
    expect(facts).toContain(' of 5 GiB')
    expect(facts).toContain('2 of 100 this period, which ends ')
    expect(facts).toContain('datetime="2026-03-07T13:00:00Z"')
  })
})

describe('the storage quota and simulated deployments', () => {
  test('a simulated deployment whose plan would pass the quota is refused (403), and nothing is played', async () => {
    h = createHarness({ quotas: { events: null, storageBytes: 1024 * 1024 } })
    const a = await createTenant(h)
    const events = Array.from({ length: 16 }, (_, i) => ({ type: 'step.progress', timestamp_s: i, message: 'm'.repeat(60_000) }))
    const plan = await h.request('POST', '/api/plans', { body: { mission_id: a.missionId, label: 'heavy', satellite_id: '1', plan_data: { events } }, headers: a.asKey })
    expect(plan.status).toBe(201)
    // 16 × 60 KB is about 0.94 MiB: the first fits, a second would not.
    const first = await h.request('POST', '/api/deployments', { body: { plan_id: plan.body.id, speed_multiplier: 10000 }, headers: a.asKey })
    expect(first.status).toBe(201)
    const deadline = Date.now() + 10_000
    while ((await h.request('GET', `/api/deployments/${first.body.id}`, { headers: a.asKey })).body.status !== 'completed' && Date.now() < deadline) await Bun.sleep(20)
    const second = await h.request('POST', '/api/deployments', { body: { plan_id: plan.body.id, speed_multiplier: 10000 }, headers: a.asKey })
    expect(second.status).toBe(403)
    expect(second.body.error).toContain('(--quota-storage-per-user), and this plan’s events would take'.replace('’', "'"))
    expect((await h.request('GET', '/api/deployments', { headers: a.asKey })).body.deployments).toHaveLength(1)
    // A live deployment stores nothing by itself: its agent's reports are judged one by one.
    expect((await h.request('POST', '/api/deployments', { body: { plan_id: plan.body.id, mode: 'live' }, headers: a.asKey })).status).toBe(201)
  })
})
