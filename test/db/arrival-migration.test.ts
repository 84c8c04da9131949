// Migration 0004 on a database as 0.3 left it (migrations up to 0003): every event gets its arrival number,
// 1..n per deployment in seq (commit) order whatever its instant, from the start-up backfill, which
// resumes where a stopped start left off and numbers a large deployment in chunks; every deployment gets
// its change_seq, 1..n per user in creation order (created_at, then insertion), carrying its event count;
// the event list pages the upgraded rows.
import { Database } from 'bun:sqlite'
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { openDatabase } from '../../src/store/sqlite/db/open'
import { parseEventInput } from '../../src/domain/event'
import { createSqliteStore } from '../../src/store/sqlite'
import { backfillArrivals } from '../../src/store/sqlite/arrival-backfill'
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

/** Every event's [deployment id, seq, arrival], in seq order per deployment. */
const arrivalsOf = (raw: Database) =>
  raw.query('SELECT d.id, e.seq, e.arrival FROM events e JOIN deployments d ON d.event_key = e.deployment_key ORDER BY d.id, e.seq').values()
const backfillFlag = (raw: Database) => raw.query("SELECT value FROM meta WHERE key = 'events_arrival_backfill'").values()[0]![0]

const UPGRADED = [
  ['dep-a', 1, 1],
  ['dep-a', 3, 2],
  ['dep-a', 7, 3],
  ['dep-b', 2, 1],
  ['dep-b', 5, 2],
  ['dep-x', 4, 1],
  ['dep-x', 6, 2],
  ['dep-x', 8, 3],
]

let dir: ReturnType<typeof tempDir>
let path: string
let store: Store | null
beforeEach(() => {
  dir = tempDir()
  path = join(dir.path, 'v03.db')
  write03Database(path)
  store = null
})
afterEach(() => {
  store?.close()
  dir.remove()
})
const openStore = () => (store = createSqliteStore(path))

describe('upgrading a 0.3 database (migration 0004: arrival numbers and change sequences)', () => {
  test('the migration leaves arrivals empty and the flag set; the first start numbers them 1..n per deployment in seq order and clears it', () => {
    openDatabase(path).$client.close()
    const migrated = new Database(path, { readonly: true })
    expect(arrivalsOf(migrated).every(([, , arrival]) => arrival === null)).toBe(true)
    expect(backfillFlag(migrated)).toBe(1)
    migrated.close()
    openStore()
    const raw = new Database(path, { readonly: true })
    expect(arrivalsOf(raw)).toEqual(UPGRADED)
    expect(backfillFlag(raw)).toBe(0)
    raw.close()
  })

  test('deployments get change_seq 1..n per user in creation order, carrying their event count; the start gives them no other change', () => {
    openStore()
    const raw = new Database(path, { readonly: true })
    const changes = raw.query('SELECT user_id, id, change_seq, change_count, event_count FROM deployments ORDER BY user_id, change_seq').values()
    expect(changes).toEqual([
      ['usr-1', 'dep-b', 1, 2, 2],
      ['usr-1', 'dep-c', 2, 0, 0],
      ['usr-1', 'dep-d', 3, 0, 0],
      ['usr-1', 'dep-a', 4, 3, 3],
      ['usr-2', 'dep-y', 1, 0, 0],
      ['usr-2', 'dep-x', 2, 3, 3],
    ])
    raw.close()
  })

  test('a start stopped midway (flag set, some deployments numbered, one in part, others empty): the next one numbers the rest, keeping the numbers given', () => {
    openDatabase(path).$client.close()
    const raw = new Database(path)
    const number = raw.prepare('UPDATE events SET arrival = ? WHERE seq = ?')
    for (const [seq, arrival] of [[1, 1], [3, 2], [7, 3], [6, 2]]) number.run(arrival!, seq!) // dep-a whole, dep-x's second
    raw.close()
    openStore()
    const upgraded = new Database(path, { readonly: true })
    expect(arrivalsOf(upgraded)).toEqual(UPGRADED)
    expect(backfillFlag(upgraded)).toBe(0)
    upgraded.close()
  })

  test('the list serves the arrival numbers; a position continues the upgraded rows; a new event is arrival n + 1', async () => {
    const store = openStore()
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

/**
 * 0.3 deployments of 60, 25, 5, 1 and 3 events whose seqs interleave and whose instants are not in seq
 * order (a fixed shuffle), for chunks of 7 rows and bitmaps of 16 seqs: the two large deployments take
 * several transactions and several windows, the small ones share transactions.
 */
function writeLargeDatabase(path: string) {
  const sizes = [60, 25, 5, 1, 3]
  const sqlite = openAtMigration(path, 4)
  const deployment = sqlite.prepare(`INSERT INTO deployments (id, user_id, mission_id, plan_id, satellite_id, status, mode, speed_multiplier, created_at, event_count, event_key)
    VALUES (?, 'usr-1', 'mis-1', 'plan-1', 'sat', 'running', 'live', 1, ?, ?, ?)`)
  sizes.forEach((count, i) => deployment.run(`dep-${i}`, i, count, i + 1))
  const insert = sqlite.prepare("INSERT INTO events (deployment_key, event_timestamp, seq, event_type, payload, created_at) VALUES (?, ?, ?, 'step.progress', '{}', 5)")
  const left = [...sizes]
  let random = 7
  const next = () => (random = (random * 48271) % 2147483647)
  for (let seq = 1; left.some((n) => n > 0); seq++) {
    const open = left.flatMap((n, i) => (n > 0 ? [i] : []))
    const i = open[next() % open.length]!
    left[i]!--
    insert.run(i + 1, T0 + (next() % 1000) * 1_000_000, seq)
  }
  sqlite.close()
  openDatabase(path).$client.close()
}

/** Per deployment key, whether each event's arrival is its rank in seq order (1..n). */
function expectRanks(raw: Database) {
  const rows = raw.query('SELECT deployment_key, arrival FROM events ORDER BY deployment_key, seq').values() as Array<[number, number | null]>
  const expected: Array<[number, number]> = []
  let previous = 0
  let n = 0
  for (const [key] of rows) {
    n = key === previous ? n + 1 : 1
    previous = key
    expected.push([key, n])
  }
  expect(rows).toEqual(expected)
  expect(rows).toHaveLength(94)
}

describe('the arrival backfill on a deployment larger than its chunk', () => {
  test('numbers every deployment 1..n in seq order, in chunks and windows', () => {
    const large = join(dir.path, 'large.db')
    writeLargeDatabase(large)
    const raw = new Database(large)
    backfillArrivals(raw, { chunkRows: 7, windowSeqs: 16 })
    expectRanks(raw)
    expect(backfillFlag(raw)).toBe(0)
    raw.close()
  })

  test('stopped midway by a failing write, it keeps what it committed, and the next run completes it', () => {
    const large = join(dir.path, 'large.db')
    writeLargeDatabase(large)
    const raw = new Database(large)
    raw.run(`CREATE TEMP TRIGGER stop_midway BEFORE UPDATE OF arrival ON events
      WHEN (SELECT count(*) FROM events WHERE arrival IS NOT NULL) >= 40 BEGIN SELECT RAISE(ABORT, 'stopped midway'); END`)
    expect(() => backfillArrivals(raw, { chunkRows: 7, windowSeqs: 16 })).toThrow('stopped midway')
    expect(raw.inTransaction).toBe(false)
    const kept = raw.query('SELECT deployment_key, seq, arrival FROM events WHERE arrival IS NOT NULL ORDER BY deployment_key, seq').values()
    expect(kept.length).toBeGreaterThanOrEqual(33)
    expect(kept.length).toBeLessThanOrEqual(40)
    expect(backfillFlag(raw)).toBe(1)
    raw.run('DROP TRIGGER stop_midway')
    backfillArrivals(raw, { chunkRows: 7, windowSeqs: 16 })
    expectRanks(raw)
    expect(raw.query('SELECT deployment_key, seq, arrival FROM events WHERE arrival IS NOT NULL ORDER BY deployment_key, seq').values()).toEqual(expect.arrayContaining(kept))
    expect(backfillFlag(raw)).toBe(0)
    raw.close()
  })
})
