// Several real nodes on one real PostgreSQL (docs/postgres.md): each node a `ground-console serve` process
// on its own port. What must hold across nodes: dispatch to one agent, a retry recognised on another node,
// a stream that sees another node's events and resumes on any node, a replay taken over after its node's
// kill -9, a revocation refused everywhere at once, and every acknowledged event kept exactly once when a
// node dies under load or when PostgreSQL itself stops and starts. Skipped (and said so) without PostgreSQL.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { freshPgDatabase, postgresAvailable, startPgCluster, type Cluster } from '../pg-cluster'
import { setUpOperator, startServer, type Running } from '../server/process'
import { SseReader } from '../streams/sse'
import examplePlan from '../../src/examples/onboard-ml-inference.json'

if (!postgresAvailable()) console.warn('SKIPPED: the multi-node tests — no PostgreSQL here (install Debian’s postgresql, or set GC_TEST_PG_URL)')

type Operator = Awaited<ReturnType<typeof setUpOperator>>
const json = { 'content-type': 'application/json' }
const get = async (url: string, path: string, headers: Record<string, string>) => {
  const r = await fetch(`${url}${path}`, { headers })
  return { status: r.status, body: (await r.json()) as any }
}
const report = (url: string, dep: string, headers: Record<string, string>, body: unknown) =>
  fetch(`${url}/api/deployments/${dep}/events`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) })
const progress = (n: number, extra: Record<string, unknown> = {}) => ({ type: 'step.progress', timestamp: '2026-03-07T12:00:00Z', job_id: 'multi', payload: { n, ...extra } })

/** Every event of the deployment, through the list's cursor. */
async function listAll(url: string, dep: string, headers: Record<string, string>) {
  const all: any[] = []
  for (let cursor: string | null = null; ; ) {
    const page = await get(url, `/api/deployments/${dep}/events?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, headers)
    if (page.status !== 200) throw new Error(`events list: ${page.status} ${JSON.stringify(page.body)}`)
    all.push(...page.body.events)
    cursor = page.body.next_cursor ?? null
    if (!cursor) return all
  }
}

async function newDeployment(op: Operator, mode: 'live' | 'simulated', satelliteId: string, speed = 1) {
  const mission = await op.post('/api/missions', { name: 'Multi' }, op.asKey)
  const plan = await op.post('/api/plans', { mission_id: mission.id, label: 'p', satellite_id: satelliteId, plan_data: examplePlan }, op.asKey)
  return (await op.post('/api/deployments', { plan_id: plan.id, mode, speed_multiplier: speed }, op.asKey)).id
}

async function openStream(url: string, dep: string, headers: Record<string, string>) {
  const response = await fetch(`${url}/api/deployments/${dep}/events/stream`, { headers })
  expect(response.status).toBe(200)
  return new SseReader(response)
}

/** The next `count` event messages of the stream (status frames and comments skipped). */
async function nextEvents(s: SseReader, count: number, ms = 5000) {
  const got: Array<{ id: string; data: any }> = []
  while (got.length < count) {
    const m = await s.next(ms)
    if (m === null) break
    if (m.comment || m.event) continue
    got.push({ id: m.id!, data: JSON.parse(m.data!) })
  }
  return got
}

describe.skipIf(!postgresAvailable())('two nodes on one PostgreSQL', () => {
  let database: { url: string; drop(): Promise<void> }
  let a: Running | undefined
  let b: Running | undefined
  let op: Operator
  beforeEach(async () => {
    database = await freshPgDatabase()
    // One after the other: the first creates the admin (ADMIN_EMAIL/ADMIN_PASSWORD), the second finds it.
    a = await startServer({ db: database.url })
    b = await startServer({ db: database.url })
    op = await setUpOperator(a.url)
  })
  afterEach(async () => {
    await Promise.all([a?.kill(), b?.kill()])
    await database.drop()
  })

  test('a live deployment is dispatched to exactly one agent when two agents poll two nodes at once', async () => {
    const deps = new Set<string>()
    for (let i = 0; i < 12; i++) deps.add(await newDeployment(op, 'live', '77777'))
    const poll = (node: Running, agentId: string) => fetch(`${node.url}/api/agent/workloads`, { headers: { ...op.asKey, 'x-agent-id': agentId } })
    const handed: string[] = []
    for (let round = 0; round < 14; round++) {
      const replies = await Promise.all([poll(a!, 'sat-77777'), poll(b!, '77777'), poll(b!, 'sat-77777-b')])
      for (const r of replies) if (r.status === 200) handed.push(((await r.json()) as { deployment_id: string }).deployment_id)
    }
    expect(handed.sort()).toEqual([...deps].sort())
  })

  test('a retry that lands on the other node is recognised: 200 with the same id, keyed or by content', async () => {
    const first = await report(a!.url, op.deploymentId, op.asAgent, progress(1))
    expect(first.status).toBe(201)
    const { id } = (await first.json()) as { id: string }
    const again = await report(b!.url, op.deploymentId, op.asAgent, progress(1))
    expect(again.status).toBe(200)
    expect(((await again.json()) as { id: string }).id).toBe(id)
    const keyed = { ...op.asAgent, 'idempotency-key': 'retry-across-nodes' }
    const k1 = await report(b!.url, op.deploymentId, keyed, progress(2))
    expect(k1.status).toBe(201)
    const k2 = await report(a!.url, op.deploymentId, keyed, progress(2, { resent: true }))
    expect(k2.status).toBe(200)
    expect(((await k2.json()) as { id: string }).id).toBe(((await k1.json()) as { id: string }).id)
    expect((await get(b!.url, `/api/deployments/${op.deploymentId}`, op.asKey)).body.event_count).toBe(2)
  })

  test('a stream on one node sees the events reported to the other, and resumes on either with no gap and no duplicate', async () => {
    const onB = await openStream(b!.url, op.deploymentId, op.asKey)
    expect((await onB.next())!.event).toBe('status')
    for (let n = 1; n <= 5; n++) expect((await report(a!.url, op.deploymentId, op.asAgent, progress(n))).status).toBe(201)
    const seen = await nextEvents(onB, 5)
    expect(seen.map((m) => m.id)).toEqual(['1', '2', '3', '4', '5'])
    expect(seen.map((m) => m.data.payload.n)).toEqual([1, 2, 3, 4, 5])
    await onB.cancel()
    // Meanwhile, more through both nodes; then resume on A from where B left off.
    for (let n = 6; n <= 10; n++) expect((await report(n % 2 ? a!.url : b!.url, op.deploymentId, op.asAgent, progress(n))).status).toBe(201)
    const response = await fetch(`${a!.url}/api/deployments/${op.deploymentId}/events/stream`, { headers: { ...op.asKey, 'last-event-id': '5' } })
    const onA = new SseReader(response)
    const resumed = await nextEvents(onA, 5)
    expect(resumed.map((m) => m.id)).toEqual(['6', '7', '8', '9', '10'])
    // Live again, across nodes: reported to B, seen on A.
    expect((await report(b!.url, op.deploymentId, op.asAgent, progress(11))).status).toBe(201)
    expect((await nextEvents(onA, 1)).map((m) => m.id)).toEqual(['11'])
    await onA.cancel()
  })

  test('a key revoked on one node is refused on the other at its very next request', async () => {
    const created = await op.post('/api/keys', { name: 'second' }, { cookie: op.cookie })
    const asSecond = { 'x-api-key': created.key! }
    expect((await get(b!.url, '/api/deployments', asSecond)).status).toBe(200)
    const revoked = await fetch(`${a!.url}/api/keys/${created.id}`, { method: 'DELETE', headers: { cookie: op.cookie, origin: a!.url } })
    expect(revoked.status).toBeLessThan(300)
    expect((await get(b!.url, '/api/deployments', asSecond)).status).toBe(401)
  })

  test('a replay whose node is killed is taken over by the other within 10 s and finished, each plan event stored once', async () => {
    // 28 plan events over 1382 s of mission time at 100×: about 14 s of wall time.
    const dep = await newDeployment(op, 'simulated', 'no-agent', 100)
    let count = 0
    while (count < 3) {
      await Bun.sleep(100)
      count = (await get(b!.url, `/api/deployments/${dep}`, op.asKey)).body.event_count
    }
    await a!.kill()
    a = undefined
    const killedAt = Date.now()
    const before = (await get(b!.url, `/api/deployments/${dep}`, op.asKey)).body.event_count
    let resumedAfter = -1
    for (;;) {
      const now = (await get(b!.url, `/api/deployments/${dep}`, op.asKey)).body
      if (resumedAfter < 0 && now.event_count > before) resumedAfter = Date.now() - killedAt
      if (now.status === 'completed' || now.status === 'failed') break
      if (Date.now() - killedAt > 40_000) throw new Error(`the replay did not finish: ${JSON.stringify(now)}`)
      await Bun.sleep(100)
    }
    console.log(`replay failover: the other node stored the next plan event ${resumedAfter} ms after the kill`)
    expect(resumedAfter).toBeGreaterThanOrEqual(0)
    expect(resumedAfter).toBeLessThan(10_000)
    const events = await listAll(b!.url, dep, op.asKey)
    expect(events).toHaveLength(examplePlan.events.length)
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length)
    const planned = examplePlan.events.map((e: any) => e.type).sort()
    expect(events.map((e) => e.event_type).sort()).toEqual(planned)
  }, 60_000)

  test('kill -9 of a node during 20-client ingest through both: every acknowledged event present exactly once', async () => {
    const acks: Array<{ client: number; n: number; id: string }> = []
    let stop = false
    const clients = Array.from({ length: 20 }, async (_, client) => {
      for (let n = 0; !stop; n++) {
        const node = client % 2 ? a : b
        if (!node) return
        try {
          const reply = await report(node.url, op.deploymentId, op.asAgent, progress(n, { client }))
          if (reply.status !== 201) return
          acks.push({ client, n, id: ((await reply.json()) as { id: string }).id })
        } catch {
          return // its node died under this request: its fate is unknown
        }
      }
    })
    await Bun.sleep(400 + Math.random() * 400)
    await a!.kill()
    a = undefined
    await Bun.sleep(300)
    stop = true
    await Promise.all(clients)
    expect(acks.length).toBeGreaterThan(40)
    const stored = await listAll(b!.url, op.deploymentId, op.asKey)
    const byId = new Map(stored.map((e) => [e.id, e]))
    for (const ack of acks) expect(byId.get(ack.id)?.payload).toEqual({ n: ack.n, client: ack.client })
    const keys = stored.map((e) => `${e.payload.client}/${e.payload.n}`)
    expect(new Set(keys).size).toBe(keys.length)
  }, 60_000)
})

describe.skipIf(!postgresAvailable() || Boolean(process.env.GC_TEST_PG_URL))('PostgreSQL stopped and started under load', () => {
  let cluster: Cluster
  let nodes: Running[] = []
  beforeEach(() => {
    cluster = startPgCluster()
  })
  afterEach(async () => {
    await Promise.all(nodes.map((node) => node.kill()))
    nodes = []
    cluster.stop()
  })

  test('503 UNAVAILABLE while it is down (never 500), nothing acknowledged lost, service back without a restart', async () => {
    await cluster.admin.unsafe('CREATE DATABASE gc_outage')
    const url = cluster.url('gc_outage')
    nodes = [await startServer({ db: url }), await startServer({ db: url })]
    const op = await setUpOperator(nodes[0]!.url)
    const acks: Array<{ client: number; n: number; id: string }> = []
    const statuses = new Map<number, number>()
    let stop = false
    const clients = Array.from({ length: 10 }, async (_, client) => {
      for (let n = 0; !stop; n++) {
        const node = nodes[client % 2]
        if (!node) return
        let reply: Response
        try {
          reply = await report(node.url, op.deploymentId, op.asAgent, progress(n, { client }))
        } catch {
          return // the test ended and its nodes with it
        }
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
        if (reply.status === 201 || reply.status === 200) acks.push({ client, n, id: ((await reply.json()) as { id: string }).id })
        else await Bun.sleep(50)
      }
    })
    await Bun.sleep(500)
    cluster.pause()
    const health = await fetch(`${nodes[1]!.url}/healthz`)
    expect(health.status).toBe(503)
    const read = await get(nodes[0]!.url, `/api/deployments/${op.deploymentId}`, op.asKey)
    expect(read.status).toBe(503)
    expect(read.body.code).toBe('UNAVAILABLE')
    await Bun.sleep(1500)
    cluster.resume()
    const resumed = Date.now()
    // Back without a restart: both nodes serve again within a few seconds.
    for (const node of nodes) {
      const deadline = Date.now() + 15_000
      while ((await fetch(`${node.url}/healthz`)).status !== 200) {
        if (Date.now() > deadline) throw new Error('a node did not recover after the database came back')
        await Bun.sleep(100)
      }
    }
    const recoveredMs = Date.now() - resumed
    await Bun.sleep(500)
    stop = true
    await Promise.all(clients)
    console.log(`outage: answers by status ${JSON.stringify(Object.fromEntries(statuses))}, ${acks.length} acknowledged, both nodes healthy ${recoveredMs} ms after PostgreSQL was back`)
    expect(statuses.get(500) ?? 0).toBe(0)
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0)
    expect(statuses.get(201) ?? 0).toBeGreaterThan(20)
    const stored = await listAll(nodes[1]!.url, op.deploymentId, op.asKey)
    const byId = new Map(stored.map((e) => [e.id, e]))
    for (const ack of acks) expect(byId.get(ack.id)?.payload).toEqual({ n: ack.n, client: ack.client })
    const keys = stored.map((e) => `${e.payload.client}/${e.payload.n}`)
    expect(new Set(keys).size).toBe(keys.length)
    expect(nodes.every((node) => node.proc.exitCode === null)).toBe(true)
  }, 90_000)
})
