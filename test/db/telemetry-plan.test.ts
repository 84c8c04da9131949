// An agent's telemetry page (GET /api/agents/{id}/telemetry, docs/lists.md "Telemetry") reads one range of
// agent_telemetry_agent_idx backwards, with no sort, on the first page and after a cursor; checked with
// EXPLAIN QUERY PLAN, with and without ANALYZE statistics, on a database holding several agents' samples.
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { createSqliteStore } from '../../src/store/sqlite'
import { TELEMETRY_PAGE_SQL } from '../../src/store/sqlite/agents'
import { tempDir } from '../helpers'

let dir: ReturnType<typeof tempDir>
let db: Database
beforeAll(() => {
  dir = tempDir()
  const path = join(dir.path, 'telemetry.db')
  createSqliteStore(path).close()
  db = new Database(path)
  const agent = db.prepare("INSERT INTO agents (user_id, id, status, last_seen_at, created_at) VALUES (?, ?, 'idle', 1, 1)")
  const sample = db.prepare("INSERT INTO agent_telemetry (user_id, agent_id, received_at, sample) VALUES (?, ?, ?, '{}')")
  db.transaction(() => {
    for (let u = 1; u <= 3; u++)
      for (let a = 1; a <= 20; a++) {
        agent.run(`usr-${u}`, `sat-${a}`)
        for (let i = 0; i < 200; i++) sample.run(`usr-${u}`, `sat-${a}`, Math.floor(i / 3))
      }
  })()
})
afterAll(() => {
  db.close()
  dir.remove()
})

const plan = (sql: string) => (db.query(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail)

describe.each([false, true])('telemetry pages (ANALYZE statistics: %p)', (analyzed) => {
  beforeAll(() => {
    if (analyzed) db.run('ANALYZE')
  })

  test('the first page: agent_telemetry_agent_idx for this agent, newest first, no sort', () => {
    const steps = plan(TELEMETRY_PAGE_SQL.first)
    expect(steps).toEqual(['SEARCH agent_telemetry USING INDEX agent_telemetry_agent_idx (user_id=? AND agent_id=?)'])
  })

  test('a page after a cursor: one range of the index up to the cursor, no sort', () => {
    // SQLite ranges over received_at and checks the seq (the index's rowid) of the cursor's instant on the way.
    const steps = plan(TELEMETRY_PAGE_SQL.after)
    expect(steps).toEqual(['SEARCH agent_telemetry USING INDEX agent_telemetry_agent_idx (user_id=? AND agent_id=? AND received_at<?)'])
  })

  test('the statements answer in the list order', () => {
    const rows = db.query(TELEMETRY_PAGE_SQL.after).all({ $userId: 'usr-2', $id: 'sat-3', $receivedAt: 10, $seq: 1e12, $limit: 4 }) as Array<{ receivedAt: number; seq: number }>
    expect(rows.map((r) => r.receivedAt)).toEqual([10, 10, 10, 9])
    expect(rows[0]!.seq).toBeGreaterThan(rows[1]!.seq)
  })
})
