import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import examplePlan from '../../src/examples/onboard-ml-inference.json'
import { UPSTREAM_RATE_LIMITS } from '../../src/services/rate-limits'
import { createHarness, createTenant, event, fixedClock, type Harness, type Tenant } from '../helpers'

let h: Harness
let clock: ReturnType<typeof fixedClock>
let t: Tenant
beforeEach(async () => {
  clock = fixedClock('2026-03-07T12:00:00Z')
  h = createHarness({ clock })
  t = await createTenant(h)
})
afterEach(() => h.close())

const as = (agentId: string, tenant = t) => ({ ...tenant.asKey, 'x-agent-id': agentId })
const poll = (agentId = 'sat-25544', tenant = t) => h.request('GET', '/api/agent/workloads', { headers: as(agentId, tenant) })
const register = (body: Record<string, unknown>, agentId = 'sat-25544') => h.request('POST', '/api/agent/register', { body: { agent_id: agentId, ...body }, headers: as(agentId) })
const agentsList = async () => (await h.request('GET', '/api/agents', { headers: t.asKey })).body.agents
const getDeployment = async (id: string) => (await h.request('GET', `/api/deployments/${id}`, { headers: t.asKey })).body

describe('register', () => {
  test('answers 201 {id, status: idle} and upserts, keeping fields left out', async () => {
    const first = await register({ satellite_id: '25544', satellite_name: 'ISS (ZARYA)', agent_version: '0.1.0', orbit_altitude_km: 420 })
    expect(first.status).toBe(201)
    expect(first.body).toEqual({ id: 'sat-25544', status: 'idle' })
    clock.advance(60)
    expect((await register({ agent_version: '0.1.1' })).status).toBe(201)
    expect(await agentsList()).toEqual([
      {
        id: 'sat-25544',
        satellite_id: '25544',
        satellite_name: 'ISS (ZARYA)',
        agent_version: '0.1.1',
        status: 'idle',
        registered_at: '2026-03-07T12:01:00Z',
        last_seen_at: '2026-03-07T12:01:00Z',
        last_heartbeat_at: null,
        last_telemetry: null,
        // Ours (docs/operations.md "Lost agents").
        lost_at: null,
      },
    ])
  })

  test('agent_id must equal X-Agent-ID', async () => {
    const reply = await h.request('POST', '/api/agent/register', { body: { agent_id: 'sat-1' }, headers: as('sat-2') })
    expect(reply.status).toBe(400)
    expect(reply.body.error).toStartWith('agent_id:')
  })

  test('agents are per user: the same id under two users is two agents', async () => {
    const other = await createTenant(h)
    await register({ satellite_id: '1' })
    await h.request('POST', '/api/agent/register', { body: { agent_id: 'sat-25544', satellite_id: '2' }, headers: as('sat-25544', other) })
    expect((await agentsList()).map((a: { satellite_id: string }) => a.satellite_id)).toEqual(['1'])
  })
})

describe('poll', () => {
  test('no work is 204 with an empty body', async () => {
    const reply = await poll()
    expect(reply.status).toBe(204)
    expect(reply.text).toBe('')
  })

  test('hands out a complete WorkloadSpec and marks the deployment dispatched', async () => {
    const dep = await t.createDeployment('live')
    clock.advance(5)
    const reply = await poll()
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(Object.keys(reply.body).sort()).toEqual(['deployment_id', 'events', 'plan_data', 'plan_id', 'satellite_id'])
    expect(reply.body).toMatchObject({ plan_id: t.planId, deployment_id: dep, satellite_id: '25544' })
    expect(reply.body.plan_data.events).toHaveLength(3)
    expect(reply.body.events).toEqual([
      { type: 'job.accepted', timestamp: '2026-03-07T12:00:05Z', job_id: dep, payload: { message: 'accepted', preset: 'onboard-ml-inference' } },
      { type: 'step.started', timestamp: '2026-03-07T12:00:15Z', job_id: dep, step_id: 'capture', payload: { message: 'capture' } },
      { type: 'job.completed', timestamp: '2026-03-07T12:01:05Z', job_id: dep, payload: { message: 'done', delivery_confidence: 0.98 } },
    ])
    expect(await getDeployment(dep)).toMatchObject({ status: 'dispatched', agent_id: 'sat-25544', dispatched_at: '2026-03-07T12:00:05Z' })
    expect((await poll()).status).toBe(204)
  })

  test('events come in timestamp_s order, ties in plan order, payload {} when nothing is left', async () => {
    const plan = await h.request('POST', '/api/plans', {
      body: {
        mission_id: t.missionId,
        label: 'unordered',
        satellite_id: '25544',
        plan_data: { events: [{ type: 'b.second', timestamp_s: 5.5 }, { type: 'a.first', timestamp_s: 0 }, { type: 'c.third', timestamp_s: 5.5, step_id: null }] },
      },
      headers: t.asKey,
    })
    await h.request('POST', '/api/deployments', { body: { plan_id: plan.body.id, mode: 'live' }, headers: t.asKey })
    const events = (await poll()).body.events
    expect(events.map((e: { type: string }) => e.type)).toEqual(['a.first', 'b.second', 'c.third'])
    expect(events[1]).toEqual({ type: 'b.second', timestamp: '2026-03-07T12:00:05.5Z', job_id: expect.any(String), payload: {} })
    expect('step_id' in events[2]).toBe(false)
  })

  test('oldest pending first; simulated, cancelled and dispatched ones are never handed out', async () => {
    const cancelled = await t.createDeployment('live')
    await h.request('POST', `/api/deployments/${cancelled}/cancel`, { headers: t.asKey })
    await t.createDeployment('simulated')
    clock.advance(1)
    const older = await t.createDeployment('live')
    clock.advance(1)
    const newer = await t.createDeployment('live')
    expect((await poll()).body.deployment_id).toBe(older)
    expect((await poll()).body.deployment_id).toBe(newer)
    expect((await poll()).status).toBe(204)
  })

  test.each([
    ['sat-25544 (sat- prefix removed)', 'sat-25544', undefined, true],
    ['25544 (the id itself)', '25544', undefined, true],
    ['sat-99901', 'sat-99901', undefined, false],
    ['a registered satellite_id wins', 'rs-leo-1', '25544', true],
    ['a registered satellite_id that differs', 'sat-25544', '99901', false],
  ])('satellite match: %s', async (_, agentId, satelliteId, matches) => {
    if (satelliteId) await register({ satellite_id: satelliteId }, agentId)
    const dep = await t.createDeployment('live')
    const reply = await poll(agentId)
    expect(reply.status).toBe(matches ? 200 : 204)
    if (matches) expect(reply.body.deployment_id).toBe(dep)
  })

  test('if the workload cannot be built, nothing is dispatched: the store says so and writes nothing', async () => {
    const dep = await t.createDeployment('live')
    const user = await h.store.getUserByEmail(t.email)
    const outcome = await h.store.dispatchNext(user!.id, 'sat-25544', ['25544'], clock(), () => {
      throw new Error('cannot build')
    })
    expect(outcome).toMatchObject({ kind: 'unbuildable', deployment: { id: dep, status: 'pending' } })
    expect(String((outcome as { error: unknown }).error)).toContain('cannot build')
    expect(await getDeployment(dep)).toMatchObject({ status: 'pending', agent_id: null, dispatched_at: null })
    expect((await poll()).body.deployment_id).toBe(dep)
  })

  test('big integers in plan data reach the plan, the agent and the replay digit for digit', async () => {
    const raw = `{"mission_id":"${t.missionId}","label":"ns","satellite_id":"25544","plan_data":{"events":[{"type":"job.accepted","timestamp_s":0,"ns":9007199254740993}]}}`
    const plan = await h.request('POST', '/api/plans', { raw, headers: t.asKey })
    expect(plan.status).toBe(201)
    expect((await h.request('GET', `/api/plans/${plan.body.id}`, { headers: t.asKey })).text).toContain('"ns":9007199254740993')
    await h.request('POST', '/api/deployments', { body: { plan_id: plan.body.id, mode: 'live' }, headers: t.asKey })
    const spec = await poll()
    expect(spec.text).toContain('"payload":{"ns":9007199254740993}')
  })

  test('telemetry numbers are measurements: a huge one is accepted (rounded), not refused', async () => {
    const reply = await h.request('POST', '/api/agent/telemetry', { raw: '{"memory_mb":12345678901234567890}', headers: as('sat-25544') })
    expect(reply.status).toBe(200)
  })

  test('plans whose offsets would leave the calendar are refused at creation', async () => {
    const reply = await h.request('POST', '/api/plans', {
      body: { mission_id: t.missionId, label: 'far', satellite_id: '25544', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 1e13 }] } },
      headers: t.asKey,
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error).toStartWith('plan_data.events[0].timestamp_s:')
  })

  test('another user’s agent never sees the deployment', async () => {
    const other = await createTenant(h)
    await t.createDeployment('live')
    expect((await poll('sat-25544', other)).status).toBe(204)
  })
})

describe('reports from agents', () => {
  test('the dispatched agent reports; another agent gets 403; the deployment runs to completion', async () => {
    const dep = await t.createDeployment('live')
    await poll('sat-25544')
    expect((await h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.accepted'), headers: as('25544') })).status).toBe(403)
    for (const type of ['job.accepted', 'step.started', 'job.completed'])
      expect((await h.request('POST', `/api/deployments/${dep}/events`, { body: event(type), headers: as('sat-25544') })).status).toBe(201)
    expect(await getDeployment(dep)).toMatchObject({ status: 'completed', event_count: 3, agent_id: 'sat-25544' })
  })

  test('an agent that never registered can poll and report, and appears in the fleet', async () => {
    const dep = await t.createDeployment('live')
    expect((await poll('sat-25544')).status).toBe(200)
    expect((await h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.completed'), headers: as('sat-25544') })).status).toBe(201)
    expect(await agentsList()).toMatchObject([{ id: 'sat-25544', registered_at: null, satellite_id: null, status: 'idle' }])
  })

  test('last_seen_at moves with any request from the agent', async () => {
    await poll()
    clock.advance(90)
    await poll()
    expect((await agentsList())[0].last_seen_at).toBe('2026-03-07T12:01:30Z')
  })
})

describe('telemetry', () => {
  const sample = { agent_id: 'sat-25544', status: 'executing', timestamp: '2026-03-07T14:23:45Z', cpu_percent: 67.5, memory_mb: 128.0, battery_percent: 82.0, temperature_c: 34.2 }

  test('answers {ok: true}, creates the agent, updates status and heartbeat, keeps the sample', async () => {
    const reply = await h.request('POST', '/api/agent/telemetry', { body: sample, headers: as('sat-25544') })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ ok: true })
    const [agent] = await agentsList()
    expect(agent).toMatchObject({ id: 'sat-25544', status: 'executing', last_heartbeat_at: '2026-03-07T12:00:00Z', last_telemetry: sample })
    clock.advance(30)
    await h.request('POST', '/api/agent/telemetry', { body: { status: 'transferring', position: { lat: 1, lon: 2, altitude_km: 420, in_eclipse: false } }, headers: as('sat-25544') })
    const [after] = await agentsList()
    expect(after).toMatchObject({ status: 'transferring', last_heartbeat_at: '2026-03-07T12:00:30Z' })
    expect(after.last_telemetry).toMatchObject({ agent_id: 'sat-25544', timestamp: '2026-03-07T12:00:30Z', position: { in_eclipse: false } })
  })

  test.each([
    [{ agent_id: 'sat-other' }, 'agent_id'],
    [{ status: 'asleep' }, 'status'],
    [{ cpu_percent: '50' }, 'cpu_percent'],
    [{ timestamp: '2026-03-07T14:23:45' }, 'timestamp'],
    [{ position: { lat: 1 } }, 'position.lon'],
  ])('%j is refused naming %s', async (body, field) => {
    const reply = await h.request('POST', '/api/agent/telemetry', { body, headers: as('sat-25544') })
    expect(reply.status).toBe(400)
    expect(reply.body.error).toStartWith(`${field}:`)
  })
})

describe('rate limits', () => {
  test('are off by default: 50 polls and 200 reports in a row all pass', async () => {
    for (let i = 0; i < 50; i++) expect((await poll()).status).toBe(204)
    const dep = await t.createDeployment('live')
    for (let i = 0; i < 200; i++) expect((await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', undefined, { payload: { i } }), headers: as('sat-25544') })).status).toBe(201)
  })

  test('when on: upstream values, 429 with Retry-After, nothing stored, refills with time', async () => {
    await h.close()
    h = createHarness({ clock, rateLimits: UPSTREAM_RATE_LIMITS })
    t = await createTenant(h)
    expect((await poll()).status).toBe(204)
    const limited = await poll()
    expect(limited.status).toBe(429)
    expect(limited.body.code).toBe('RATE_LIMITED')
    expect(limited.headers.get('retry-after')).toBe('10')
    expect((await poll('sat-other')).status).toBe(204) // per agent
    clock.advance(10)
    expect((await poll()).status).toBe(204)

    expect((await h.request('POST', '/api/agent/telemetry', { body: {}, headers: as('sat-25544') })).status).toBe(200)
    const tele = await h.request('POST', '/api/agent/telemetry', { body: { status: 'offline' }, headers: as('sat-25544') })
    expect([tele.status, tele.headers.get('retry-after')]).toEqual([429, '30'])
    expect((await agentsList()).find((a: { id: string }) => a.id === 'sat-25544').status).toBe('idle')

    const dep = await t.createDeployment('live')
    const report = (i: number) => h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', undefined, { payload: { i } }), headers: as('sat-25544') })
    for (let i = 0; i < 100; i++) expect((await report(i)).status).toBe(201)
    const over = await report(100)
    expect(over.status).toBe(429)
    expect(Number(over.headers.get('retry-after'))).toBe(1) // 100 per minute: one token every 0.6 s
    expect((await getDeployment(dep)).event_count).toBe(100)
  })
})

describe('the example plan', () => {
  test('is a realistic plan of 20+ events that the API accepts', async () => {
    expect(examplePlan.events.length).toBeGreaterThanOrEqual(20)
    const reply = await h.request('POST', '/api/plans', { body: { mission_id: t.missionId, label: 'ML', satellite_id: '25544', plan_data: examplePlan }, headers: t.asKey })
    expect(reply.status).toBe(201)
    expect(reply.body.event_count).toBe(examplePlan.events.length)
    const types = new Set(examplePlan.events.map((e) => e.type))
    for (const type of ['job.accepted', 'placement.decided', 'step.progress', 'transfer.pass_started', 'job.completed']) expect(types.has(type)).toBe(true)
  })
})

test('HEAD /api/agent/workloads is a 404 (after the credential checks) and hands nothing out', async () => {
  const h = createHarness()
  try {
    const t = await createTenant(h)
    const id = await t.createDeployment('live')
    expect((await h.request('HEAD', '/api/agent/workloads', { headers: { 'x-agent-id': 'sat-25544' } })).status).toBe(401)
    expect((await h.request('HEAD', '/api/agent/workloads', { headers: t.asAgent })).status).toBe(404)
    expect((await h.request('GET', `/api/deployments/${id}`, { headers: t.asKey })).body.status).toBe('pending')
    const poll = await h.request('GET', '/api/agent/workloads', { headers: t.asAgent })
    expect(poll.status).toBe(200)
    expect(poll.body.deployment_id).toBe(id)
  } finally {
    await h.close()
  }
})
