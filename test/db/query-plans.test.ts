// The read statements of the lists use the indexes they were written for (docs/events.md, docs/lists.md):
// an event page, count or stretch is one range of the primary key without a sort, a position's seq one
// step down events_arrival_idx, the deployments list a range of deployments_user_idx sorting only ties by id. Checked
// with EXPLAIN QUERY PLAN, with and without ANALYZE statistics, on a database holding rows to choose among
// (the server never runs ANALYZE; with statistics, missions and plans must be many for the plan to hold).
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { EVENT_PAGE_SQL } from '../../src/store/sqlite/event-pages'
import { DEPLOYMENT_LIST_SQL } from '../../src/store/sqlite/deployments'
import { AUDIT_LIST_SQL } from '../../src/store/sqlite/audit'
import { createSqliteStore } from '../../src/store/sqlite'
import { tempDir } from '../helpers'
import { openAtMigration } from './old-database'

let dir: ReturnType<typeof tempDir>
let db: Database
beforeAll(() => {
  dir = tempDir()
  const path = join(dir.path, 'plans.db')
  const sqlite = openAtMigration(path, 5)
  const mission = sqlite.prepare("INSERT INTO missions VALUES (?, 'usr-1', 'm', NULL, 1)")
  const planRow = sqlite.prepare("INSERT INTO plans VALUES (?, 'usr-1', ?, 'p', 'sat', NULL, NULL, '{}', 1, 1)")
  const deployment = sqlite.prepare(`INSERT INTO deployments (id, user_id, mission_id, plan_id, satellite_id, status, mode, speed_multiplier, created_at, event_count, event_key, change_seq)
    VALUES (?, 'usr-1', ?, ?, 'sat', ?, 'live', 1, ?, 0, ?, ?)`)
  const event = sqlite.prepare("INSERT INTO events (deployment_key, event_timestamp, seq, event_type, created_at, payload, arrival) VALUES (?, ?, ?, 'step.progress', 1, '{}', ?)")
  sqlite.transaction(() => {
    for (let m = 2; m <= 40; m++) {
      mission.run(`mis-${m}`)
      planRow.run(`plan-${m}`, `mis-${m}`)
    }
    for (let d = 1; d <= 2000; d++) {
      const m = 1 + (d % 40)
      deployment.run(`dep-${String(d).padStart(4, '0')}`, `mis-${m}`, `plan-${m}`, d % 3 ? 'completed' : 'running', Math.floor(d / 4), d, d)
    }
    for (let seq = 1; seq <= 20_000; seq++) event.run(1 + (seq % 5), Math.floor(seq / 7), seq, Math.ceil(seq / 5))
  })()
  sqlite.close()
  createSqliteStore(path).close()
  db = new Database(path)
  // The audit log came with a later migration: seeded once the store has brought the file up to date.
  const audit = db.prepare('INSERT INTO audit_log (at, actor_id, action) VALUES (?, ?, ?)')
  db.transaction(() => {
    for (let i = 1; i <= 3000; i++) audit.run(Math.floor(i / 3), `usr-${i % 20}`, ['login', 'key.create', 'login_failed'][i % 3]!)
  })()
})
afterAll(() => {
  db.close()
  dir.remove()
})

const plan = (sql: string) => (db.query(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail)

describe.each([false, true])('query plans (ANALYZE statistics: %p)', (analyzed) => {
  beforeAll(() => {
    if (analyzed) db.run('ANALYZE')
  })

  test('an event page (first, after a position, filtered, exported) is one range of the primary key, in its order', () => {
    const steps = plan(EVENT_PAGE_SQL.page)
    expect(steps).toContain('SEARCH e USING PRIMARY KEY (deployment_key=? AND (event_timestamp,seq)>(?,?) AND (event_timestamp,seq)<(?,?))')
    expect(steps.join('\n')).not.toContain('TEMP B-TREE')
    expect(steps.join('\n')).not.toMatch(/SCAN (e|events)\b/)
  })

  test('an audit page (all, by actor, by action) is one range of its index, in its order, without a sort', () => {
    const expected = {
      all: 'SEARCH audit_log USING INDEX audit_at_idx (at<?)',
      actor: 'SEARCH audit_log USING INDEX audit_actor_idx (actor_id=? AND at<?)',
      action: 'SEARCH audit_log USING INDEX audit_action_idx (action=? AND at<?)',
    }
    for (const [name, sql] of Object.entries(AUDIT_LIST_SQL)) {
      const steps = plan(sql).join('\n')
      expect(steps).toContain(expected[name as keyof typeof expected])
      expect(steps).not.toContain('TEMP B-TREE')
    }
  })

  test('the seq of a position: one step down events_arrival_idx', () => {
    expect(plan(EVENT_PAGE_SQL.seqAt)).toContain('SEARCH events USING COVERING INDEX events_arrival_idx (deployment_key=? AND arrival<?)')
    expect(plan(EVENT_PAGE_SQL.lastArrival)).toContain('SEARCH events USING COVERING INDEX events_arrival_idx (deployment_key=?)')
  })

  test('a stretch of a filtered read or count is a range of the primary key; its end is found walking the key', () => {
    expect(plan(EVENT_PAGE_SQL.count)).toContain('SEARCH e USING PRIMARY KEY (deployment_key=? AND (event_timestamp,seq)>(?,?) AND (event_timestamp,seq)<(?,?))')
    const steps = plan(EVENT_PAGE_SQL.keyAfter)
    expect(steps).toContain('SEARCH events USING PRIMARY KEY (deployment_key=? AND (event_timestamp,seq)>(?,?) AND event_timestamp<?)')
    expect(steps.join('\n')).not.toContain('TEMP B-TREE')
  })

  test('the deployments list: a range of deployments_user_idx, newest first, only ties sorted by id', () => {
    const steps = plan(DEPLOYMENT_LIST_SQL)
    expect(steps).toContain('SEARCH d USING INDEX deployments_user_idx (user_id=? AND created_at<?)')
    expect(steps.filter((s) => s.includes('TEMP B-TREE'))).toEqual(['USE TEMP B-TREE FOR LAST TERM OF ORDER BY'])
  })
})
