// The server always starts on its own database: a row stored past today's limits (here a plan nested
// 15 000 deep, as an earlier version accepted) fails its deployment at start-up with a stored reason,
// and the process reaches `listening` every time (docs/limits.md).
import { expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { setUpOperator, startServer } from './process'

test('a poisoned replay stored by an earlier version: start-up fails that deployment, listens, and does so again', async () => {
  const dir = tempDir()
  const db = join(dir.path, 'gc.db')
  try {
    let server = await startServer({ db })
    const op = await setUpOperator(server.url)
    await server.stop()

    const sqlite = new Database(db)
    const { user_id: userId, mission_id: missionId } = sqlite.query('SELECT user_id, mission_id FROM deployments LIMIT 1').get() as { user_id: string; mission_id: string }
    const deep = '['.repeat(15_000) + ']'.repeat(15_000)
    sqlite.run(
      `INSERT INTO plans (id, user_id, mission_id, label, satellite_id, plan_data, event_count, created_at) VALUES ('plan-deep', ?, ?, 'old', '1', ?, 1, 1)`,
      [userId, missionId, `{"events":[{"type":"job.accepted","timestamp_s":0,"tiny":0.0000001,"deep":${deep}}]}`],
    )
    sqlite.run(
      `INSERT INTO deployments (id, user_id, mission_id, plan_id, satellite_id, status, mode, speed_multiplier, created_at, started_at, replay_active, event_key)
       VALUES ('dep-deep', ?, ?, 'plan-deep', '1', 'running', 'simulated', 100, 1, 1, 1, (SELECT coalesce(max(event_key), 0) + 1 FROM deployments))`,
      [userId, missionId],
    )
    sqlite.close()

    for (let start = 0; start < 2; start++) {
      server = await startServer({ db })
      try {
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
        const deployment = await (await fetch(`${server.url}/api/deployments/dep-deep`, { headers: op.asKey })).json()
        expect(deployment).toMatchObject({ status: 'failed', event_count: 1 })
        const { events } = (await (await fetch(`${server.url}/api/deployments/dep-deep/events`, { headers: op.asKey })).json()) as { events: Array<{ event_type: string; payload: { reason: string } }> }
        expect(events.map((e) => [e.event_type, e.payload.reason])).toEqual([['job.failed', 'plan_invalid']])
      } finally {
        await server.stop()
      }
      expect(server.proc.exitCode).toBe(0)
    }
  } finally {
    dir.remove()
  }
})
