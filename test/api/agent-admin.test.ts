// Managing the fleet (docs/api.md §4 "Deleting an agent", docs/operations.md "Lost agents"): DELETE
// /api/agents/{id} removes the agent and its telemetry but not its deployments' history; with
// --agent-lost-after an agent not seen for that long is flagged lost once, cleared when it is seen again,
// and under --agent-lost-policy fail its dispatched and running deployments are failed with a stored reason.
import { describe, expect, test } from 'bun:test'
import type { AgentLostOptions } from '../../src/services/agent-lost'
import { createHarness, createTenant, event, fixedClock, harnessPerTest, queryDb, type Harness, type Tenant } from '../helpers'

const as = (t: Tenant, agentId: string) => ({ ...t.asKey, 'x-agent-id': agentId })
const userIdOf = async (h: Harness, t: Tenant): Promise<string> => (await h.request('GET', '/api/auth/me', { headers: { cookie: t.cookie } })).body.user.id

describe('DELETE /api/agents/{id}', () => {
  let h: Harness
  harnessPerTest((harness) => {
    h = harness
  })

  test('removes the agent and its samples; its deployments keep their agent_id and events; 204', async () => {
    const t = await createTenant(h)
    const dep = await t.createDeployment('live')
    await h.request('POST', '/api/agent/register', { body: { agent_id: 'sat-25544', satellite_id: '25544' }, headers: t.asAgent })
    for (const battery of [90, 80, 70]) await h.request('POST', '/api/agent/telemetry', { body: { battery_percent: battery }, headers: t.asAgent })
    expect((await h.request('GET', '/api/agent/workloads', { headers: t.asAgent })).status).toBe(200)
    await h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.accepted'), headers: t.asAgent })
    await h.request('POST', '/api/agent/telemetry', { body: { battery_percent: 60 }, headers: as(t, 'sat-other') })

    const reply = await h.request('DELETE', '/api/agents/sat-25544', { headers: t.asKey })
    expect(reply.status).toBe(204)
    expect(reply.text).toBe('')
    expect((await h.request('GET', '/api/agents/sat-25544', { headers: t.asKey })).status).toBe(404)
    expect((await h.request('GET', '/api/agents/sat-25544/telemetry', { headers: t.asKey })).status).toBe(404)
    expect((await h.request('GET', '/api/agents', { headers: t.asKey })).body.agents.map((a: { id: string }) => a.id)).toEqual(['sat-other'])
    const deployment = (await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body
    expect(deployment).toMatchObject({ agent_id: 'sat-25544', status: 'running', event_count: 1 })
    expect((await h.request('GET', `/api/deployments/${dep}/events`, { headers: t.asKey })).body.total).toBe(1)
    // A second delete: it is gone.
    expect((await h.request('DELETE', '/api/agents/sat-25544', { headers: t.asKey })).status).toBe(404)
  })

  test('its telemetry rows are gone from the database, the other agents’ kept', async () => {
    const t = await createTenant(h)
    for (let i = 0; i < 5; i++) {
      await h.request('POST', '/api/agent/telemetry', { body: { battery_percent: i }, headers: as(t, 'sat-a') })
      await h.request('POST', '/api/agent/telemetry', { body: { battery_percent: i }, headers: as(t, 'sat-b') })
    }
    expect((await h.request('DELETE', '/api/agents/sat-a', { headers: { cookie: t.cookie } })).status).toBe(204)
    const rows = await queryDb<{ agent_id: string; n: number | string }>(h, 'SELECT agent_id, count(*) AS n FROM agent_telemetry GROUP BY agent_id')
    expect(rows.map(({ agent_id, n }) => ({ agent_id, n: Number(n) }))).toEqual([{ agent_id: 'sat-b', n: 5 }])
  })

  test('unknown, or another user’s agent of the same name: 404, and the other user’s is untouched', async () => {
    const a = await createTenant(h)
    const b = await createTenant(h)
    await h.request('POST', '/api/agent/telemetry', { body: { battery_percent: 1 }, headers: as(a, 'sat-x') })
    for (const path of ['/api/agents/sat-x', '/api/agents/nobody']) {
      const reply = await h.request('DELETE', path, { headers: b.asKey })
      expect(reply.status).toBe(404)
      expect(reply.body).toEqual({ error: 'agent not found', code: 'NOT_FOUND' })
    }
    expect((await h.request('GET', '/api/agents/sat-x', { headers: a.asKey })).status).toBe(200)
  })

  test('a deleted agent that calls again is a first contact: a new record, even within the same second', async () => {
    const clock = fixedClock()
    const own = createHarness({ clock })
    try {
      const t = await createTenant(own)
      await own.request('POST', '/api/agent/register', { body: { agent_id: 'sat-25544', satellite_id: '25544', agent_version: '1.0' }, headers: t.asAgent })
      const dep = await t.createDeployment('live')
      expect((await own.request('GET', '/api/agent/workloads', { headers: t.asAgent })).status).toBe(200)
      expect((await own.request('DELETE', '/api/agents/sat-25544', { headers: t.asKey })).status).toBe(204)
      clock.advance(0.2)
      // An event report touches the agent (at most once a second); the delete forgot that it had.
      expect((await own.request('POST', `/api/deployments/${dep}/events`, { body: event('job.accepted'), headers: t.asAgent })).status).toBe(201)
      const again = await own.request('GET', '/api/agents/sat-25544', { headers: t.asKey })
      expect(again.status).toBe(200)
      expect(again.body).toMatchObject({ id: 'sat-25544', satellite_id: null, agent_version: null, registered_at: null, lost_at: null, last_telemetry: null })
    } finally {
      await own.close()
    }
  })
})

describe('lost agents (--agent-lost-after)', () => {
  const MINUTE = 60e6
  function world(options: AgentLostOptions) {
    const clock = fixedClock()
    const lost: Array<[string, string, number]> = []
    const h = createHarness({ clock, agentLost: options, onAgentLost: (userId, agentId, at) => void lost.push([userId, agentId, at]) })
    return { h, clock, lost, sweep: () => h.app.services.agentLost.sweep() }
  }

  test('off by default: nobody is ever lost', async () => {
    const clock = fixedClock()
    const h = createHarness({ clock })
    try {
      const t = await createTenant(h)
      await h.request('POST', '/api/agent/telemetry', { body: {}, headers: t.asAgent })
      clock.advance(365 * 86_400)
      expect(h.app.services.agentLost.enabled).toBe(false)
      expect(await h.app.services.agentLost.sweep()).toEqual({ lost: 0, failedDeployments: 0 })
      expect((await h.request('GET', '/api/agents/sat-25544', { headers: t.asKey })).body.lost_at).toBeNull()
    } finally {
      await h.close()
    }
  })

  test('flagged once when not seen for the duration, in the API and the hook; cleared when seen again; flagged again after a new silence', async () => {
    const { h, clock, lost, sweep } = world({ afterMicros: 10 * MINUTE, policy: 'flag' })
    try {
      const t = await createTenant(h)
      const userId = await userIdOf(h, t)
      await h.request('POST', '/api/agent/telemetry', { body: {}, headers: as(t, 'sat-quiet') })
      await h.request('POST', '/api/agent/telemetry', { body: {}, headers: as(t, 'sat-chatty') })
      clock.advance(9 * 60)
      await h.request('GET', '/api/agent/workloads', { headers: as(t, 'sat-chatty') })
      // The server itself has been up only 9 minutes: nobody is judged yet.
      expect(await sweep()).toEqual({ lost: 0, failedDeployments: 0, waiting: true })
      clock.advance(61)
      const foundAt = clock()
      expect(await sweep()).toEqual({ lost: 1, failedDeployments: 0 })
      expect(lost).toEqual([[userId, 'sat-quiet', foundAt]])
      const agents = (await h.request('GET', '/api/agents', { headers: t.asKey })).body.agents
      expect(agents.find((a: { id: string }) => a.id === 'sat-quiet').lost_at).toBe('2026-03-07T12:10:01Z')
      expect(agents.find((a: { id: string }) => a.id === 'sat-chatty').lost_at).toBeNull()
      // Once per silence: later sweeps leave it (and its lost_at) alone.
      clock.advance(3600)
      expect((await sweep()).lost).toBe(1) // sat-chatty's turn now
      expect(lost.map(([, id]) => id)).toEqual(['sat-quiet', 'sat-chatty'])
      expect((await h.request('GET', '/api/agents/sat-quiet', { headers: t.asKey })).body.lost_at).toBe('2026-03-07T12:10:01Z')
      // Seen again (any request): cleared.
      await h.request('GET', '/api/agent/workloads', { headers: as(t, 'sat-quiet') })
      expect((await h.request('GET', '/api/agents/sat-quiet', { headers: t.asKey })).body.lost_at).toBeNull()
      expect((await sweep()).lost).toBe(0)
      clock.advance(11 * 60)
      expect((await sweep()).lost).toBe(1)
      expect(lost.map(([, id]) => id)).toEqual(['sat-quiet', 'sat-chatty', 'sat-quiet'])
      // Registration and telemetry clear it too.
      await h.request('POST', '/api/agent/register', { body: { agent_id: 'sat-quiet' }, headers: as(t, 'sat-quiet') })
      await h.request('POST', '/api/agent/telemetry', { body: {}, headers: as(t, 'sat-chatty') })
      for (const id of ['sat-quiet', 'sat-chatty']) expect((await h.request('GET', `/api/agents/${id}`, { headers: t.asKey })).body.lost_at).toBeNull()
    } finally {
      await h.close()
    }
  })

  test('flag policy: the lost agent’s running deployment is left as it is', async () => {
    const { h, clock, sweep } = world({ afterMicros: MINUTE, policy: 'flag' })
    try {
      const t = await createTenant(h)
      const dep = await t.createDeployment('live')
      await h.request('GET', '/api/agent/workloads', { headers: t.asAgent })
      clock.advance(120)
      expect(await sweep()).toEqual({ lost: 1, failedDeployments: 0 })
      expect((await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body.status).toBe('dispatched')
    } finally {
      await h.close()
    }
  })

  test('fail policy: its dispatched and running deployments fail with a stored job.failed {reason: agent_lost}; others are untouched', async () => {
    const { h, clock, lost, sweep } = world({ afterMicros: 5 * MINUTE, policy: 'fail' })
    try {
      const t = await createTenant(h)
      const other = await createTenant(h)
      const running = await t.createDeployment('live')
      const dispatched = await t.createDeployment('live')
      const finished = await t.createDeployment('live')
      const pending = await t.createDeployment('live')
      for (let i = 0; i < 3; i++) expect((await h.request('GET', '/api/agent/workloads', { headers: t.asAgent })).status).toBe(200)
      await h.request('POST', `/api/deployments/${running}/events`, { body: event('job.accepted'), headers: t.asAgent })
      await h.request('POST', `/api/deployments/${finished}/events`, { body: event('job.completed'), headers: t.asAgent })
      // Another user's agent of the same name, with a running deployment of its own, seen recently.
      const theirs = await other.createDeployment('live')
      clock.advance(4 * 60)
      await h.request('GET', '/api/agent/workloads', { headers: other.asAgent })
      await h.request('POST', `/api/deployments/${theirs}/events`, { body: event('job.accepted'), headers: other.asAgent })
      clock.advance(2 * 60)
      expect(await sweep()).toEqual({ lost: 1, failedDeployments: 2 })
      expect(lost.map(([, id]) => id)).toEqual(['sat-25544'])
      const status = async (id: string, who = t) => (await h.request('GET', `/api/deployments/${id}`, { headers: who.asKey })).body.status
      expect(await status(running)).toBe('failed')
      expect(await status(dispatched)).toBe('failed')
      expect(await status(finished)).toBe('completed')
      expect(await status(pending)).toBe('pending')
      expect(await status(theirs, other)).toBe('running')
      const events = (await h.request('GET', `/api/deployments/${running}/events`, { headers: t.asKey })).body.events
      const failed = events.at(-1)
      expect(failed.event_type).toBe('job.failed')
      expect(failed.payload).toEqual({ reason: 'agent_lost', message: expect.stringContaining('sat-25544') })
      expect(failed.job_id).toBe(running)
      // Again: nothing more (lost once; the deployments are terminal).
      clock.advance(3600)
      // The other user's agent, silent now too, and its running deployment.
      expect(await sweep()).toEqual({ lost: 1, failedDeployments: 1 })
      expect(await status(theirs, other)).toBe('failed')
      expect((await h.request('GET', `/api/deployments/${running}/events`, { headers: t.asKey })).body.total).toBe(events.length)
      // The agent comes back and reports late: the event is stored, the status stays failed.
      expect((await h.request('POST', `/api/deployments/${running}/events`, { body: event('job.completed', '2026-03-07T13:00:00Z'), headers: t.asAgent })).status).toBe(201)
      expect(await status(running)).toBe('failed')
    } finally {
      await h.close()
    }
  })

  test('the server’s own downtime is no silence: after a restart nobody is lost before the server has been up for the duration', async () => {
    const clock = fixedClock()
    const lost: string[] = []
    const h = createHarness({ clock, agentLost: { afterMicros: 10 * MINUTE, policy: 'fail' }, onAgentLost: (_user, id) => void lost.push(id) })
    try {
      const t = await createTenant(h)
      const dep = await t.createDeployment('live')
      await h.request('GET', '/api/agent/workloads', { headers: t.asAgent })
      // The server is down for two hours, then starts again (a new app on the same file).
      clock.advance(2 * 3600)
      h.restart()
      expect(await h.app.services.agentLost.sweep()).toEqual({ lost: 0, failedDeployments: 0, waiting: true })
      clock.advance(9 * 60)
      expect((await h.app.services.agentLost.sweep()).lost).toBe(0)
      expect((await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body.status).toBe('dispatched')
      // Silent for the duration while this server ran: now it is lost.
      clock.advance(61)
      expect(await h.app.services.agentLost.sweep()).toEqual({ lost: 1, failedDeployments: 1 })
      expect(lost).toEqual(['sat-25544'])
    } finally {
      await h.close()
    }
  })

  test('many silent agents over several batches, each found once; a failing hook is logged, not fatal', async () => {
    const clock = fixedClock()
    let calls = 0
    const h = createHarness({
      clock,
      agentLost: { afterMicros: MINUTE, policy: 'flag' },
      onAgentLost: () => {
        calls++
        throw new Error('hook down')
      },
    })
    try {
      const t = await createTenant(h)
      for (let i = 0; i < 230; i++) await h.request('POST', '/api/agent/telemetry', { body: {}, headers: as(t, `sat-${String(i).padStart(3, '0')}`) })
      clock.advance(61)
      expect((await h.app.services.agentLost.sweep()).lost).toBe(230)
      expect(calls).toBe(230)
      expect((await h.app.services.agentLost.sweep()).lost).toBe(0)
      const page = (await h.request('GET', '/api/agents?limit=500', { headers: t.asKey })).body.agents
      expect(page.every((a: { lost_at: string | null }) => a.lost_at !== null)).toBe(true)
    } finally {
      await h.close()
    }
  })
})

describe('a lost agent alerts the webhooks that take agent.lost', () => {
  test('one agent.lost delivery per silence, for that user only, naming the agent', async () => {
    const clock = fixedClock()
    const h = createHarness({ clock, agentLost: { afterMicros: 10 * 60e6, policy: 'flag' } })
    try {
      const t = await createTenant(h)
      const other = await createTenant(h)
      const hook = (await h.request('POST', '/api/webhooks', { body: { url: 'http://127.0.0.1:1/pager', events: ['agent.lost'] }, headers: t.asKey })).body.id
      const otherHook = (await h.request('POST', '/api/webhooks', { body: { url: 'http://127.0.0.1:1/pager', events: ['agent.lost'] }, headers: other.asKey })).body.id
      await h.request('POST', '/api/agent/telemetry', { body: {}, headers: as(t, 'sat-quiet') })
      clock.advance(11 * 60)
      expect((await h.app.services.agentLost.sweep()).lost).toBe(1)
      expect((await h.app.services.agentLost.sweep()).lost).toBe(0)
      const deliveries = (await h.request('GET', `/api/webhooks/${hook}/deliveries`, { headers: t.asKey })).body.deliveries
      expect(deliveries.map((d: { event: string }) => d.event)).toEqual(['agent.lost'])
      // The body as it is sent (the log shows the attempts, not the body): it names the agent.
      const bodies = await queryDb<{ body: string }>(h, 'SELECT body FROM webhook_deliveries')
      expect(bodies).toHaveLength(1)
      expect(JSON.parse(bodies[0]!.body)).toMatchObject({ event: 'agent.lost', data: { agent: { id: 'sat-quiet', last_seen_at: '2026-03-07T12:00:00Z', lost_at: '2026-03-07T12:11:00Z' } } })
      expect((await h.request('GET', `/api/webhooks/${otherHook}/deliveries`, { headers: other.asKey })).body.deliveries).toEqual([])
    } finally {
      await h.close()
    }
  })
})

describe('fail policy against an agent that comes back during the sweep', () => {
  test('an agent seen while its deployments are being failed keeps the rest, and is not flagged', async () => {
    const clock = fixedClock()
    const h = createHarness({ clock, agentLost: { afterMicros: 5 * 60e6, policy: 'fail' } })
    try {
      const t = await createTenant(h)
      const ids = [await t.createDeployment('live'), await t.createDeployment('live'), await t.createDeployment('live')]
      for (let i = 0; i < 3; i++) expect((await h.request('GET', '/api/agent/workloads', { headers: t.asAgent })).status).toBe(200)
      clock.advance(6 * 60)
      // The agent reports the moment the sweep has listed its deployments, before the first is failed.
      const list = h.store.listAgentLiveDeployments.bind(h.store)
      h.store.listAgentLiveDeployments = async (userId, agentId) => {
        const found = await list(userId, agentId)
        expect((await h.request('POST', '/api/agent/telemetry', { body: { status: 'executing' }, headers: t.asAgent })).status).toBe(200)
        return found
      }
      expect(await h.app.services.agentLost.sweep()).toEqual({ lost: 0, failedDeployments: 0 })
      for (const id of ids) expect((await h.request('GET', `/api/deployments/${id}`, { headers: t.asKey })).body.status).toBe('dispatched')
      expect((await h.request('GET', '/api/agents/sat-25544', { headers: t.asKey })).body.lost_at).toBeNull()
    } finally {
      await h.close()
    }
  })
})
