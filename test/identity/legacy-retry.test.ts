// A retry of an event stored before 0.3, whose payload holds a number that version wrote another way
// (a literal past 400 digits kept as written: 10e399, 1e+400, …), is recognised: its backfilled digest
// matches, and no size shortcut turns the candidate away before the canonical comparison.
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { parseEventInput } from '../../src/domain/event'
import { parseJsonExact } from '../../src/domain/json'
import { createSqliteStore } from '../../src/store/sqlite'
import { openAtMigration } from '../db/old-database'
import { tempDir, reportsOf } from '../helpers'

const T0 = Date.parse('2026-03-07T12:00:00Z') * 1000

function writeOldDatabase(path: string, payloads: string[]) {
  const sqlite = openAtMigration(path, 2)
  sqlite.run(`INSERT INTO deployments (id, user_id, mission_id, plan_id, satellite_id, status, mode, speed_multiplier, created_at, event_count)
      VALUES ('dep-a', 'usr-1', 'mis-1', 'plan-1', 'sat', 'running', 'live', 1, 1, ${payloads.length})`)
  const insert = sqlite.prepare(`INSERT INTO deployment_events (seq, id, deployment_id, event_type, event_timestamp, job_id, step_id, payload, content_hash, idempotency_key, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  payloads.forEach((p, i) => insert.run(i + 1, `evt-old${i}`, 'dep-a', 'step.progress', T0 + i * 1_000_000, 'j', null, p, `h${i}`, null, 5))
  sqlite.close()
}

test('retries of legacy events whose numbers were written the old way are recognised', async () => {
  const dir = tempDir()
  // What 3bfa8f6 stored for these bodies: the literal as written, its exponent past 400.
  const sent = ['{"n":10e399}', '{"n":1e+400}', '{"n":0.1e401}', `{"n":1.${'0'.repeat(401)}}`]
  writeOldDatabase(join(dir.path, 'old.db'), sent)
  const store = createSqliteStore(join(dir.path, 'old.db'))
  try {
    const results = []
    for (const [i, payload] of sent.entries()) {
      const body = parseJsonExact(`{"type":"step.progress","timestamp":"2026-03-07T12:00:0${i}Z","job_id":"j","payload":${payload}}`)
      const [outcome] = await reportsOf(store).storeGroup([{ userId: 'usr-1', deploymentId: 'dep-a', reporter: { kind: 'agent', agentId: 'sat' }, events: [{ event: parseEventInput(body), key: null }], now: T0 }])
      results.push(outcome!.ok ? outcome!.results[0] : outcome)
    }
    expect(results).toEqual(sent.map((_, i) => ({ id: `evt-old${i}`, created: false })))
  } finally {
    store.close()
    dir.remove()
  }
})
