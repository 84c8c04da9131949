// The webhook statements use the indexes they were written for (docs/api.md §1 "Webhooks", docs/lists.md):
// "anything due" one range of the partial webhook_deliveries_due_idx, the claim's candidates one lookup per
// webhook along the partial webhook_deliveries_pending_idx, the ping cap's count one range of it, a
// delivery log page one range of webhook_deliveries_hook_idx, the webhooks list one of webhooks_user_idx,
// the prune one range of the partial webhook_deliveries_done_idx — none a scan of webhook_deliveries. Checked with EXPLAIN QUERY PLAN, with and without ANALYZE statistics, on rows to choose among.
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { createSqliteStore } from '../../src/store/sqlite'
import { WEBHOOK_SQL } from '../../src/store/sqlite/webhooks'
import { tempDir } from '../helpers'

let dir: ReturnType<typeof tempDir>
let db: Database
beforeAll(() => {
  dir = tempDir()
  const path = join(dir.path, 'plans.db')
  createSqliteStore(path).close()
  db = new Database(path)
  db.run("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES ('usr-1', 'a@b.c', NULL, 'operator', 'x', 1)")
  const hook = db.prepare("INSERT INTO webhooks (id, user_id, url, events, secret, created_at) VALUES (?, 'usr-1', 'http://h/', '[]', 's', ?)")
  const delivery = db.prepare(`INSERT INTO webhook_deliveries (webhook_id, user_id, event, body, created_at, state, attempts, next_attempt_at)
    VALUES (?, 'usr-1', 'ping', '{"id":"dlv-x"}', ?, ?, 0, ?)`)
  db.transaction(() => {
    for (let w = 0; w < 20; w++) hook.run(`whk-${w}`, w)
    for (let i = 0; i < 20_000; i++) {
      const pending = i % 10 === 0
      delivery.run(`whk-${i % 20}`, i, pending ? 'pending' : 'delivered', pending ? i : null)
    }
  })()
})
afterAll(() => {
  db.close()
  dir.remove()
})

const plan = (sql: string) => (db.query(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail)

describe.each([false, true])('webhook query plans (ANALYZE statistics: %p)', (analyzed) => {
  beforeAll(() => {
    if (analyzed) db.run('ANALYZE')
  })

  const noScan = (steps: string[]) => {
    expect(steps.join('\n')).not.toMatch(/SCAN (webhook_deliveries|d|p)\b/)
    expect(steps.join('\n')).not.toContain('TEMP B-TREE')
  }

  test('anything due: one range of the partial index of pending rows, never a scan of the log', () => {
    const steps = plan(WEBHOOK_SQL.anyDue)
    expect(steps).toEqual(['SEARCH webhook_deliveries USING COVERING INDEX webhook_deliveries_due_idx (next_attempt_at<?)'])
  })

  test('the claim: each webhook’s oldest due row, one lookup of webhook_deliveries_pending_idx each', () => {
    const steps = plan(WEBHOOK_SQL.candidates)
    expect(steps).toContain('SCAN w')
    expect(steps).toContain('SEARCH p USING COVERING INDEX webhook_deliveries_pending_idx (webhook_id=? AND next_attempt_at<?)')
    expect(steps).toContain('SEARCH d USING INTEGER PRIMARY KEY (rowid=?)')
    noScan(steps)
    const claimed = plan(WEBHOOK_SQL.claimed)
    expect(claimed).toContain('SEARCH d USING INTEGER PRIMARY KEY (rowid=?)')
    noScan(claimed)
  })

  test('the ping cap: a bounded range of webhook_deliveries_pending_idx', () => {
    const steps = plan(WEBHOOK_SQL.pending)
    expect(steps).toContain('SEARCH webhook_deliveries USING COVERING INDEX webhook_deliveries_pending_idx (webhook_id=?)')
    noScan(steps)
  })

  test('a page of a delivery log: one range of webhook_deliveries_hook_idx, in its order', () => {
    const steps = plan(WEBHOOK_SQL.deliveries)
    expect(steps.some((s) => s.startsWith('SEARCH webhook_deliveries USING INDEX webhook_deliveries_hook_idx (webhook_id=? AND seq<?)'))).toBe(true)
    expect(steps.join('\n')).not.toContain('TEMP B-TREE')
  })

  test('the webhooks list: a range of webhooks_user_idx', () => {
    expect(plan(WEBHOOK_SQL.list).some((s) => s.startsWith('SEARCH webhooks USING INDEX webhooks_user_idx (user_id=? AND created_at<?)'))).toBe(true)
  })

  test('the prune: a range of the partial index of delivered and failed rows by age, past any pending rows', () => {
    const steps = plan(WEBHOOK_SQL.prune)
    expect(steps).toContain('SEARCH webhook_deliveries USING INDEX webhook_deliveries_done_idx (created_at<?)')
    noScan(steps)
  })
})
