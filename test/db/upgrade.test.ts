// A database written by an earlier release opens under this one with nothing lost: migration 0002 moves
// events into the clustered table with their ids, order and identities intact.
import { Database } from 'bun:sqlite'
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { parseEventInput } from '../../src/domain/event'
import { createSqliteStore } from '../../src/store/sqlite'
import type { Store } from '../../src/store/types'
import { tempDir, reportsOf } from '../helpers'
import { openAtMigration } from './old-database'

const T0 = Date.parse('2026-03-07T12:00:00Z') * 1000

/** A database as release 0.1.0 left it: migrations 0000 and 0001 only, two deployments with events. */
function writeOldDatabase(path: string) {
  const sqlite = openAtMigration(path, 2)
  for (const [id, count] of [['dep-a', 3], ['dep-b', 1]] as const)
    sqlite.run(`INSERT INTO deployments (id, user_id, mission_id, plan_id, satellite_id, status, mode, speed_multiplier, created_at, event_count)
      VALUES ('${id}', 'usr-1', 'mis-1', 'plan-1', 'sat', 'running', 'live', 1, 1, ${count})`)
  const insert = sqlite.prepare(`INSERT INTO deployment_events (seq, id, deployment_id, event_type, event_timestamp, job_id, step_id, payload, content_hash, idempotency_key, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  // Arrival order differs from time order, and two events share an instant.
  insert.run(1, 'evt-late', 'dep-a', 'step.progress', T0 + 2_000_000, 'j', 's', '{"n":2}', 'h1', null, 5)
  insert.run(2, 'evt-early', 'dep-a', 'job.accepted', T0, 'j', null, '{"b":72000,"a":1}', 'h2', null, 5)
  insert.run(3, 'evt-keyed', 'dep-a', 'step.progress', T0 + 2_000_000, 'j', 's', '{"n":3}', 'h3', 'upload-7', 5)
  insert.run(4, 'evt-other', 'dep-b', 'job.accepted', T0, null, null, '{}', 'h4', null, 5)
  // Large enough to be moved out of its row.
  insert.run(5, 'evt-large', 'dep-b', 'step.progress', T0 + 1_000_000, null, null, JSON.stringify({ log: 'x'.repeat(5000) }), 'h5', null, 5)
  sqlite.close()
}

let dir: ReturnType<typeof tempDir>
let store: Store
beforeEach(() => {
  dir = tempDir()
  const path = join(dir.path, 'old.db')
  writeOldDatabase(path)
  store = createSqliteStore(path)
})
afterEach(() => {
  store.close()
  dir.remove()
})

const reporter = { kind: 'agent', agentId: 'sat' } as const
async function record(deploymentId: string, body: object, key: string | null = null) {
  const [outcome] = await reportsOf(store).storeGroup([{ userId: 'usr-1', deploymentId, reporter, events: [{ event: parseEventInput(body), key }], now: T0 }])
  if (!outcome!.ok) throw outcome!.error
  return outcome!.results[0]!
}

describe('upgrading a 0.1.0 database', () => {
  test('keeps every event with its id, in list order, under its own deployment', async () => {
    const a = await store.listEvents('dep-a', { offset: 0, limit: 10 })
    expect(a.map((e) => [e.id, e.seq])).toEqual([['evt-early', 2], ['evt-late', 1], ['evt-keyed', 3]])
    expect(a[0]).toMatchObject({ eventType: 'job.accepted', eventTimestamp: T0, jobId: 'j', stepId: null, payload: '{"b":72000,"a":1}', createdAt: 5 })
    const b = await store.listEvents('dep-b', { offset: 0, limit: 10 })
    expect(b.map((e) => e.id)).toEqual(['evt-other', 'evt-large'])
    expect(b[1]!.payload).toBe(JSON.stringify({ log: 'x'.repeat(5000) }))
    expect(await store.getEventCount('usr-1', 'dep-a')).toBe(3)
  })

  test('retries of events stored before the upgrade are still recognised, by content and by key', async () => {
    const content = { type: 'job.accepted', timestamp: '2026-03-07T12:00:00Z', job_id: 'j', payload: { a: 1, b: 72000.0 } }
    expect(await record('dep-a', content)).toEqual({ id: 'evt-early', created: false })
    expect(await record('dep-a', { type: 'step.progress', timestamp: '2026-03-07T12:00:09Z' }, 'upload-7')).toEqual({ id: 'evt-keyed', created: false })
    expect(await record('dep-b', { type: 'step.progress', timestamp: '2026-03-07T12:00:01Z', payload: { log: 'x'.repeat(5000) } })).toEqual({ id: 'evt-large', created: false })
    // The same content in another deployment is another event.
    expect((await record('dep-b', content)).created).toBe(true)
  })

  test('new events continue the arrival order; new deployments get their own event key', async () => {
    await record('dep-a', { type: 'step.progress', timestamp: '2026-03-07T12:00:02Z', job_id: 'j', step_id: 's', payload: { n: 4 } })
    const a = await store.listEvents('dep-a', { offset: 0, limit: 10 })
    expect(a.map((e) => e.seq)).toEqual([2, 1, 3, 6])
    await store.insertDeployment({
      id: 'dep-c', userId: 'usr-1', missionId: 'mis-1', planId: 'plan-1', satelliteId: 'sat', status: 'pending', mode: 'live', speedMultiplier: 1,
      agentId: null, createdAt: 2, dispatchedAt: null, startedAt: null, completedAt: null, eventCount: 0, replayActive: false,
    })
    expect((await record('dep-c', { type: 'job.accepted', timestamp: '2026-03-07T12:00:00Z' })).created).toBe(true)
    expect((await store.listEvents('dep-c', { offset: 0, limit: 10 })).map((e) => e.seq)).toEqual([7])
    expect((await store.listEvents('dep-a', { offset: 0, limit: 10 })).length).toBe(4)
  })
})

describe('upgrading a 0.2 database (migration 0003: digests)', () => {
  /** Events as 0.2 stored them: several at one instant, one payload out of its row, one nested past today's limit. */
  function write02Database(path: string) {
    const sqlite = openAtMigration(path, 3)
    sqlite.run(`INSERT INTO deployments (id, user_id, mission_id, plan_id, satellite_id, status, mode, speed_multiplier, created_at, event_count, event_key)
      VALUES ('dep-a', 'usr-1', 'mis-1', 'plan-1', 'sat', 'running', 'live', 1, 1, 203, 1)`)
    const insert = sqlite.prepare('INSERT INTO events (deployment_key, event_timestamp, seq, event_type, job_id, step_id, payload, created_at) VALUES (1, ?, ?, ?, ?, NULL, ?, 5)')
    for (let i = 1; i <= 200; i++) insert.run(T0, i, 'step.progress', 'j', `{"n":${i},"m":"same size"}`)
    insert.run(T0, 201, 'step.progress', 'j', null)
    sqlite.run('INSERT INTO event_payloads (seq, payload) VALUES (201, ?)', [JSON.stringify({ log: 'y'.repeat(5000) })])
    insert.run(T0, 202, 'step.deep', 'j', `{"d":${'['.repeat(5000)}${']'.repeat(5000)}}`)
    insert.run(T0, 203, 'step.progress', 'j', '{"b":72000,"a":1}')
    sqlite.run("UPDATE meta SET value = 203 WHERE key = 'event_seq'")
    sqlite.close()
  }

  test('every keyless event gets its digest at the first start, and retries of them are recognised at once', async () => {
    store.close()
    const path = join(dir.path, 'v02.db')
    write02Database(path)
    store = createSqliteStore(path)
    const raw = new Database(path, { readonly: true })
    expect(raw.query('SELECT count(*) FROM events WHERE digest IS NULL').values()[0]![0]).toBe(0)
    expect(raw.query("SELECT value FROM meta WHERE key = 'events_digest_backfill'").values()[0]![0]).toBe(0)
    raw.close()
    const ids = (await store.listEvents('dep-a', { offset: 0, limit: 500 })).map((e) => e.id)
    const at = '2026-03-07T12:00:00Z'
    expect(await record('dep-a', { type: 'step.progress', timestamp: at, job_id: 'j', payload: { m: 'same size', n: 150 } })).toEqual({ id: ids[149]!, created: false })
    expect(await record('dep-a', { type: 'step.progress', timestamp: at, job_id: 'j', payload: { log: 'y'.repeat(5000) } })).toEqual({ id: ids[200]!, created: false })
    expect(await record('dep-a', { type: 'step.progress', timestamp: at, job_id: 'j', payload: { a: 1, b: 72000.0 } })).toEqual({ id: ids[202]!, created: false })
    // The payload nested past the limit got a digest of its text: nothing new matches it, nothing breaks.
    expect((await record('dep-a', { type: 'step.deep', timestamp: at, job_id: 'j', payload: { d: [] } })).created).toBe(true)
    expect((await record('dep-a', { type: 'step.progress', timestamp: at, job_id: 'j', payload: { m: 'same size', n: 201 } })).created).toBe(true)
  })
})
