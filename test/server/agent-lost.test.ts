// Lost agents in a running server (docs/operations.md "Lost agents"): `--agent-lost-after` and
// `--agent-lost-policy fail` reach the sweep through main.ts, whose first run is at start. The agent's
// silence is made by moving its last_seen_at back in the stopped server's database file, so nothing waits
// for the real duration.
import { afterAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { setUpOperator, startServer, type Running } from './process'

const dir = tempDir()
const db = join(dir.path, 'gc.db')
let server: Running | undefined
afterAll(async () => {
  await server?.stop()
  dir.remove()
})

/** Polls `probe` until it answers something other than undefined (the server's sweep runs on its own time). */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`never happened: ${what}\n${server?.stderr()}`)
    await Bun.sleep(50)
  }
}

test('started with --agent-lost-after 1h --agent-lost-policy fail after a two-hour outage, the server judges nobody lost before it has been up an hour', async () => {
  server = await startServer({ db })
  const op = await setUpOperator(server.url)
  const mission = await op.post('/api/missions', { name: 'Lost' }, op.asKey)
  const plan = await op.post('/api/plans', { mission_id: mission.id, label: 'p', satellite_id: '25544', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, op.asKey)
  const dep = (await op.post('/api/deployments', { plan_id: plan.id, mode: 'live' }, op.asKey)).id
  const get = async (path: string) => (await fetch(`${server!.url}${path}`, { headers: op.asKey })).json() as Promise<any>
  expect((await fetch(`${server.url}/api/agent/workloads`, { headers: op.asAgent })).status).toBe(200)
  await op.post(`/api/deployments/${dep}/events`, { type: 'job.accepted', timestamp: '2026-03-07T12:00:00Z', job_id: dep, payload: {} }, op.asAgent)
  expect((await get(`/api/deployments/${dep}`)).status).toBe('running')
  await server.stop()

  // The agent's last contact two hours back, as if the server had been down that long.
  const file = new Database(db)
  file.run('UPDATE agents SET last_seen_at = last_seen_at - 7200000000')
  file.close()

  server = await startServer({ db, args: ['--agent-lost-after', '1h', '--agent-lost-policy', 'fail', '--log-level', 'debug'] })
  expect(server.stderr()).toMatch(/"msg":"listening".*"agentLostAfterMinutes":60,"agentLostPolicy":"fail"/)
  // The sweep at start has run (the flags reached it) and judged nobody: the server has just started.
  await eventually(async () => (server!.stderr().includes('"msg":"lost-agent sweep: none lost","waitingForUptime":true') ? true : undefined), 'the first sweep')
  expect((await get('/api/agents/sat-25544')).lost_at).toBeNull()
  expect((await get(`/api/deployments/${dep}`)).status).toBe('running')
  expect(server.stderr()).not.toContain('agent lost')
}, 60_000)
