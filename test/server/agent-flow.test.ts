// The agent protocol over a real port, with a scripted stock-like agent, and the simulated replay
// surviving kill -9.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import examplePlan from '../../src/examples/onboard-ml-inference.json'
import { tempDir } from '../helpers'
import { setUpOperator, startServer, type Running } from './process'
import { runStockAgent } from './stock-agent'

const dir = tempDir()
let server: Running
beforeAll(async () => {
  server = await startServer({ db: join(dir.path, 'gc.db') })
})
afterAll(async () => {
  await server?.stop()
  dir.remove()
})

async function createPlanAndDeployment(op: Awaited<ReturnType<typeof setUpOperator>>, mode: 'live' | 'simulated', speed = 100, satelliteId = '25544') {
  const mission = await op.post('/api/missions', { name: 'ML' }, op.asKey)
  const plan = await op.post('/api/plans', { mission_id: mission.id, label: 'ML', satellite_id: satelliteId, plan_data: examplePlan }, op.asKey)
  return (await op.post('/api/deployments', { plan_id: plan.id, mode, speed_multiplier: speed }, op.asKey)).id
}
const get = async (url: string, path: string, headers: Record<string, string>) => (await fetch(`${url}${path}`, { headers })).json() as Promise<any>

describe('the stock agent flow', () => {
  test('register → poll → paced replay → poll again drives a live deployment to completed', async () => {
    const op = await setUpOperator(server.url)
    const dep = await createPlanAndDeployment(op, 'live')
    const log = await runStockAgent({ apiUrl: server.url, apiKey: op.key, agentId: 'sat-25544', speed: 2000, workloads: 1 })
    expect(log.errors).toEqual([])
    expect(log.registered).toBe(true)
    expect(log.workloads).toEqual([dep])
    expect(log.reports.map((r) => r.status)).toEqual(Array(examplePlan.events.length).fill(201))
    const deployment = await get(server.url, `/api/deployments/${dep}`, op.asKey)
    expect(deployment).toMatchObject({ status: 'completed', agent_id: 'sat-25544', event_count: examplePlan.events.length })
    const events = await get(server.url, `/api/deployments/${dep}/events?limit=500`, op.asKey)
    expect(events.events.map((e: { event_type: string }) => e.event_type)).toEqual(examplePlan.events.map((e) => e.type))
    const agents = await get(server.url, '/api/agents', op.asKey)
    expect(agents.agents).toMatchObject([{ id: 'sat-25544', agent_version: '0.1.0' }])
  })

  test('with --api-url ending in a slash (//api/...), and without registering first, it still works', async () => {
    const op = await setUpOperator(server.url)
    const dep = await createPlanAndDeployment(op, 'live', 100, '99901')
    const log = await runStockAgent({ apiUrl: `${server.url}/`, apiKey: op.key, agentId: 'rs-leo-1', satelliteId: '99901', speed: 5000, workloads: 1 })
    expect(log.errors).toEqual([])
    expect(log.workloads).toEqual([dep])
    expect((await get(server.url, `/api/deployments/${dep}`, op.asKey)).status).toBe('completed')

    // An agent whose register failed (the stock agent only logs that) polls and reports all the same.
    const unregistered = await createPlanAndDeployment(op, 'live', 100, '99902')
    const headers = { ...op.asKey, 'x-agent-id': 'sat-99902' }
    const polled = await fetch(`${server.url}//api/agent/workloads`, { headers })
    expect(polled.status).toBe(200)
    const spec = (await polled.json()) as { deployment_id: string; events: Array<Record<string, unknown>> }
    expect(spec.deployment_id).toBe(unregistered)
    const reported = await fetch(`${server.url}//api/deployments/${unregistered}/events`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(spec.events[0]) })
    expect(reported.status).toBe(201)
  })

  test('two agents of one satellite polling at once never both get a deployment', async () => {
    const op = await setUpOperator(server.url)
    const deps = new Set<string>()
    for (let i = 0; i < 10; i++) deps.add(await createPlanAndDeployment(op, 'live', 100, '77777'))
    const pollAs = (agentId: string) => fetch(`${server.url}/api/agent/workloads`, { headers: { ...op.asKey, 'x-agent-id': agentId } })
    const handed: string[] = []
    for (let round = 0; round < 12; round++) {
      const replies = await Promise.all([pollAs('sat-77777'), pollAs('77777')])
      for (const r of replies) if (r.status === 200) handed.push(((await r.json()) as { deployment_id: string }).deployment_id)
    }
    expect(handed.sort()).toEqual([...deps].sort())
  })
})

describe('simulated replay and kill -9', () => {
  test('the replay resumes after SIGKILL: every plan event stored exactly once, none skipped', async () => {
    const killDir = tempDir()
    const db = join(killDir.path, 'gc.db')
    let first: Running | undefined = await startServer({ db })
    try {
      const op = await setUpOperator(first.url)
      // 28 events over 1382 s of mission time at 500×: about 2.8 s of wall time.
      const dep = await createPlanAndDeployment(op, 'simulated', 500)
      let stored = 0
      while (stored < 5) {
        await Bun.sleep(50)
        stored = (await get(first.url, `/api/deployments/${dep}`, op.asKey)).event_count
      }
      await first.kill()
      first = undefined
      const partial = new Database(db, { readonly: true })
      const before = (partial.query('SELECT count(*) AS n FROM events WHERE deployment_key = (SELECT event_key FROM deployments WHERE id = ?)').get(dep) as { n: number }).n
      partial.close()
      expect(before).toBeGreaterThan(0)
      expect(before).toBeLessThan(examplePlan.events.length)

      await Bun.sleep(1_000) // some events fall due while the server is down
      const second = await startServer({ db })
      try {
        let deployment: any
        const deadline = Date.now() + 15_000
        while (Date.now() < deadline) {
          deployment = await get(second.url, `/api/deployments/${dep}`, op.asKey)
          if (deployment.status === 'completed') break
          await Bun.sleep(50)
        }
        expect(deployment.status).toBe('completed')
        const page = await get(second.url, `/api/deployments/${dep}/events?limit=500`, op.asKey)
        expect(page.total).toBe(examplePlan.events.length)
        expect(page.events.map((e: { event_type: string; step_id: string | null }) => `${e.event_type}/${e.step_id}`)).toEqual(
          examplePlan.events.map((e) => `${e.type}/${'step_id' in e ? e.step_id : null}`),
        )
        const check = new Database(db, { readonly: true })
        expect(check.query('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' })
        check.close()
      } finally {
        await second.stop()
      }
    } finally {
      await first?.kill()
      killDir.remove()
    }
  })
})
