// One agent and its telemetry history (docs/lists.md "Telemetry"): GET /api/agents/{id} as the list shows
// it, GET /api/agents/{id}/telemetry newest first and paged like every list; another user's agent is 404.
import { describe, expect, test } from 'bun:test'
import { encodeCursor, fingerprintOf } from '../../src/http/paging'
import { createTenant, harnessPerTest, type FixedClock, type Harness, type Tenant } from '../helpers'

let h: Harness
let clock: FixedClock
harnessPerTest((harness, fixed) => {
  h = harness
  clock = fixed
})

const as = (t: Tenant, agentId: string) => ({ ...t.asKey, 'x-agent-id': agentId })
const post = (t: Tenant, agentId: string, body: Record<string, unknown>) => h.request('POST', '/api/agent/telemetry', { body, headers: as(t, agentId) })
const get = (t: Tenant, path: string) => h.request('GET', path, { headers: t.asKey })
const history = (t: Tenant, agentId: string, query = '') => get(t, `/api/agents/${encodeURIComponent(agentId)}/telemetry${query}`)
const userIdOf = async (t: Tenant): Promise<string> => (await h.request('GET', '/api/auth/me', { headers: { cookie: t.cookie } })).body.user.id

describe('GET /api/agents/{id}', () => {
  test('the agent as the list shows it; with a session too', async () => {
    const t = await createTenant(h)
    await h.request('POST', '/api/agent/register', { body: { agent_id: 'sat-1', satellite_id: '25544', satellite_name: 'ISS', agent_version: '1.2.3' }, headers: as(t, 'sat-1') })
    await post(t, 'sat-1', { battery_percent: 80, temperature_c: -3 })
    const listed = (await get(t, '/api/agents')).body.agents[0]
    const one = await get(t, '/api/agents/sat-1')
    expect(one.status).toBe(200)
    expect(one.body).toEqual(listed)
    expect(one.body).toMatchObject({ id: 'sat-1', satellite_id: '25544', satellite_name: 'ISS', agent_version: '1.2.3', last_telemetry: { battery_percent: 80 } })
    expect((await h.request('GET', '/api/agents/sat-1', { headers: { cookie: t.cookie } })).body).toEqual(listed)
  })

  test('an id with URL-special characters, percent-encoded in the path', async () => {
    const t = await createTenant(h)
    const id = 'sat/1?x=%41#y'
    await post(t, id, { battery_percent: 1 })
    const one = await get(t, `/api/agents/${encodeURIComponent(id)}`)
    expect(one.status).toBe(200)
    expect(one.body.id).toBe(id)
    const samples = await history(t, id)
    expect(samples.status).toBe(200)
    expect(samples.body.samples).toHaveLength(1)
  })

  test('unknown, or another user’s: 404 for both routes', async () => {
    const a = await createTenant(h)
    const b = await createTenant(h)
    await post(a, 'sat-a', { battery_percent: 50 })
    for (const path of ['/api/agents/sat-a', '/api/agents/sat-a/telemetry', '/api/agents/nobody', '/api/agents/nobody/telemetry']) {
      const reply = await get(b, path)
      expect(reply.status).toBe(404)
      expect(reply.body).toEqual({ error: 'agent not found', code: 'NOT_FOUND' })
    }
    // The same agent id at both users: each sees only their own samples.
    await post(b, 'sat-a', { battery_percent: 7 })
    expect((await history(a, 'sat-a')).body.samples.map((s: { battery_percent: number }) => s.battery_percent)).toEqual([50])
    expect((await history(b, 'sat-a')).body.samples.map((s: { battery_percent: number }) => s.battery_percent)).toEqual([7])
  })
})

describe('GET /api/agents/{id}/telemetry', () => {
  test('newest first, with received_at and the stored fields; an agent without samples has an empty list', async () => {
    const t = await createTenant(h)
    await post(t, 'sat-1', { battery_percent: 90, temperature_c: 20, status: 'idle' })
    clock.advance(30)
    await post(t, 'sat-1', { battery_percent: 89.5, temperature_c: 21, position: { lat: 1, lon: 2, altitude_km: 420, in_eclipse: true } })
    const reply = await history(t, 'sat-1')
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      samples: [
        { received_at: '2026-03-07T12:00:30Z', agent_id: 'sat-1', timestamp: '2026-03-07T12:00:30Z', battery_percent: 89.5, temperature_c: 21, position: { lat: 1, lon: 2, altitude_km: 420, in_eclipse: true } },
        { received_at: '2026-03-07T12:00:00Z', agent_id: 'sat-1', status: 'idle', timestamp: '2026-03-07T12:00:00Z', battery_percent: 90, temperature_c: 20 },
      ],
    })
    await h.request('POST', '/api/agent/register', { body: { agent_id: 'sat-2' }, headers: as(t, 'sat-2') })
    expect((await history(t, 'sat-2')).body).toEqual({ samples: [] })
  })

  test('pages by cursor, samples of one instant included, without a gap or a repeat', async () => {
    const t = await createTenant(h)
    // 25 samples: five at each of five instants (ties broken by arrival).
    for (let i = 0; i < 25; i++) {
      if (i % 5 === 0) clock.advance(1)
      await post(t, 'sat-1', { cpu_percent: i })
    }
    const seen: number[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const reply = await history(t, 'sat-1', `?limit=7${cursor ? `&cursor=${cursor}` : ''}`)
      expect(reply.status).toBe(200)
      seen.push(...reply.body.samples.map((s: { cpu_percent: number }) => s.cpu_percent))
      cursor = reply.body.next_cursor
      pages++
      if (cursor === undefined) expect(Object.hasOwn(reply.body, 'next_cursor')).toBe(false)
    } while (cursor)
    expect(pages).toBe(4)
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => 24 - i))
    // Default 100, and the largest page is 500.
    expect((await history(t, 'sat-1')).body.samples).toHaveLength(25)
    expect((await history(t, 'sat-1', '?limit=500')).status).toBe(200)
  })

  test('limit bounds: 1 to 500, digits only', async () => {
    const t = await createTenant(h)
    await post(t, 'sat-1', { cpu_percent: 1 })
    await post(t, 'sat-1', { cpu_percent: 2 })
    const one = await history(t, 'sat-1', '?limit=1')
    expect(one.body.samples).toHaveLength(1)
    expect(typeof one.body.next_cursor).toBe('string')
    for (const bad of ['0', '501', '-1', '1.5', '1e2', '', 'x']) {
      const reply = await history(t, 'sat-1', `?limit=${bad}`)
      expect(reply.status).toBe(400)
      expect(reply.body.code).toBe('VALIDATION')
      expect(reply.body.error).toStartWith('limit: ')
    }
    expect((await history(t, 'sat-1', '?limit=1&limit=2')).status).toBe(400)
  })

  test('bad cursors are 400 naming cursor: garbage, another list’s, another agent’s, a forged seq, with offset', async () => {
    const t = await createTenant(h)
    await post(t, 'sat-1', { cpu_percent: 1 })
    await post(t, 'sat-1', { cpu_percent: 2 })
    await post(t, 'sat-2', { cpu_percent: 3 })
    await post(t, 'sat-3', { cpu_percent: 4 })
    const own = (await history(t, 'sat-1', '?limit=1')).body.next_cursor as string
    const agentsCursor = (await get(t, '/api/agents?limit=1')).body.next_cursor as string
    const userId = await userIdOf(t)
    const forged = encodeCursor({ createdAt: 1, id: 'abc' }, fingerprintOf(['telemetry', userId, 'sat-1']))
    for (const [agent, cursor] of [
      ['sat-1', 'garbage!'],
      ['sat-1', agentsCursor],
      ['sat-2', own],
      ['sat-1', forged],
    ] as const) {
      const reply = await history(t, agent, `?cursor=${encodeURIComponent(cursor)}`)
      expect(reply.status).toBe(400)
      expect(reply.body.code).toBe('VALIDATION')
      expect(reply.body.error).toStartWith('cursor: ')
    }
    expect((await history(t, 'sat-1', `?cursor=${own}&offset=0`)).status).toBe(400)
    // A well-formed forged position only moves within the caller's own samples of that agent.
    const early = encodeCursor({ createdAt: Number.MAX_SAFE_INTEGER, id: '9007199254740991' }, fingerprintOf(['telemetry', userId, 'sat-1']))
    expect((await history(t, 'sat-1', `?cursor=${early}`)).body.samples.map((s: { cpu_percent: number }) => s.cpu_percent)).toEqual([2, 1])
    // The 404 comes before the cursor is judged (docs/api.md §0 order).
    expect((await history(t, 'nobody', '?cursor=garbage!')).status).toBe(404)
  })
})
