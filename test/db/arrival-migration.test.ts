// Migration 0004 on a database as 0.3 left it (migrations up to 0003): every event gets its arrival number,
// 1..n per deployment in seq (commit) order whatever its instant, and every deployment its change_seq,
// 1..n per user in creation order (created_at, then insertion); the event list pages the upgraded rows.
import { Database } from 'bun:sqlite'
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { parseEventInput } from '../../src/domain/event'
import { createSqliteStore } from '../../src/store/sqlite'
import type { Store } from '../../src/store/types'
import { reportsOf, tempDir } from '../helpers'
import { openAtMigration } from './old-database'

const T0 = Date.parse('2026-03-07T12:00:00Z') * 1000

/** Deployments of two users, created out of insertion order, with events whose seq order is not their time order. */
function write03Database(path: string) {
  const sqlite = openAtMigration(path, 4)
  sqlite.run("INSERT INTO users VALUES ('usr-2', 'b@example.com', NULL, 'operator', 'x', 1)")
  sqlite.run("INSERT INTO missions VALUES ('mis-2', 'usr-2', 'm', NULL, 1)")
  sqlite.run(`INSERT INTO plans VALUES ('plan-2', 'usr-2', 'mis-2', 'p', 'sat', NULL, NULL, '{"events":[{"type":"job.accepted","timestamp_s":0}]}', 1, 1)`)
  const deployment = sqlite.prepare(`INSERT INTO deployments (id, user_id, mission_id, plan_id, satellite_id, status, mode, speed_multiplier, created_at, event_count, event_key)
    VALUES (?, ?, ?, ?, 'sat', 'running', 'live', 1, ?, ?, ?)`)
  const deployments = [
    ['dep-a', 'usr-1', 30, 3, 1],
    ['dep-x', 'usr-2', 5, 3, 2],
    ['dep-b', 'usr-1', 10, 2, 3],
    ['dep-c', 'usr-1', 20, 0, 4],
    ['dep-y', 'usr-2', 1, 0, 5],
    ['dep-d', 'usr-1', 20, 0, 6], // the same instant as dep-c, inserted after it
  ] as const
  for (const [id, user, createdAt, count, key] of deployments) deployment.run(id, user, user === 'usr-1' ? 'mis-1' : 'mis-2', user === 'usr-1' ? 'plan-1' : 'plan-2', createdAt, count, key)
  const insert = sqlite.prepare('INSERT INTO events (deployment_key, event_timestamp, seq, event_type, job_id, step_id, payload, created_at) VALUES (?, ?, ?, ?, NULL, NULL, ?, 5)')
  // [deployment key, seconds after T0, seq]
  const events = [
    [1, 5, 3],
    [1, 9, 1],
    [1, 0, 7],
    [3, 2, 2],
    [3, 2, 5],
    [2, 4, 8],
    [2, 4, 4],
    [2, 1, 6],
  ] as const
  for (const [key, seconds, seq] of events) insert.run(key, T0 + seconds * 1_000_000, seq, 'step.progress', `{"seq":${seq}}`)
  sqlite.run("UPDATE meta SET value = 8 WHERE key = 'event_seq'")
  sqlite.close()
}

let dir: ReturnType<typeof tempDir>
let path: string
let store: Store
beforeEach(() => {
  dir = tempDir()
  path = join(dir.path, 'v03.db')
  write03Database(path)
  store = createSqliteStore(path)
})
afterEach(() => {
  store.close()
  dir.remove()
})

describe('upgrading a 0.3 database (migration 0004: arrival numbers and change sequences)', () => {
  test('events get arrival 1..n per deployment in seq order; deployments change_seq 1..n per user in creation order', () => {
    const raw = new Database(path, { readonly: true })
    const arrivals = raw.query('SELECT d.id, e.seq, e.arrival FROM events e JOIN deployments d ON d.event_key = e.deployment_key ORDER BY d.id, e.seq').values()
    expect(arrivals).toEqual([
      ['dep-a', 1, 1],
      ['dep-a', 3, 2],
      ['dep-a', 7, 3],
      ['dep-b', 2, 1],
      ['dep-b', 5, 2],
      ['dep-x', 4, 1],
      ['dep-x', 6, 2],
      ['dep-x', 8, 3],
    ])
    const changes = raw.query('SELECT user_id, id, change_seq FROM deployments ORDER BY user_id, change_seq').values()
    expect(changes).toEqual([
      ['usr-1', 'dep-b', 1],
      ['usr-1', 'dep-c', 2],
      ['usr-1', 'dep-d', 3],
      ['usr-1', 'dep-a', 4],
      ['usr-2', 'dep-y', 1],
      ['usr-2', 'dep-x', 2],
    ])
    raw.close()
  })

  test('the list serves the arrival numbers; a position continues the upgraded rows; a new event is arrival n + 1', async () => {
    const page = await store.listEvents('dep-x', { limit: 10 })
    expect(page.map((e) => [e.seq, e.arrival])).toEqual([[6, 2], [4, 1], [8, 3]])
    expect((await store.listEvents('dep-x', { limit: 10, after: { timestamp: page[1]!.eventTimestamp, arrival: 1 } })).map((e) => e.seq)).toEqual([8])
    const [outcome] = await reportsOf(store).storeGroup([
      { userId: 'usr-1', deploymentId: 'dep-a', reporter: { kind: 'agent', agentId: 'sat' }, events: [{ event: parseEventInput({ type: 'a.b', timestamp: '2026-03-07T11:00:00Z' }), key: null }], now: T0 },
    ])
    expect(outcome!.ok).toBe(true)
    expect((await store.listEvents('dep-a', { limit: 10 })).map((e) => e.arrival)).toEqual([4, 3, 2, 1])
    expect(await store.lastArrival('dep-a')).toBe(4)
  })
})
