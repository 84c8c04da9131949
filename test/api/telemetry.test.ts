// Telemetry samples (docs/api.md §4, docs/lists.md): only the contract's fields are stored, numbers are finite,
// each agent keeps a bounded number of samples, and the fleet list stays small per page.
import { beforeEach, describe, expect, test } from 'bun:test'
import { TELEMETRY_KEPT, TELEMETRY_PRUNE_EVERY } from '../../src/store/types'
import { countOf, createTenant, harnessPerTest, queryDb, type FixedClock, type Harness, type Tenant } from '../helpers'

let h: Harness
let clock: FixedClock
let t: Tenant
harnessPerTest((harness, fixed) => {
  h = harness
  clock = fixed
})
beforeEach(async () => {
  t = await createTenant(h)
})

const as = (agentId: string) => ({ ...t.asKey, 'x-agent-id': agentId })
const post = (body: unknown, agentId = 'sat-25544') => h.request('POST', '/api/agent/telemetry', { body, headers: as(agentId) })
const postRaw = (raw: string, agentId = 'sat-25544') => h.request('POST', '/api/agent/telemetry', { raw, headers: as(agentId) })
const fleet = async (query = '') => (await h.request('GET', `/api/agents${query}`, { headers: t.asKey })).body

/** Reads the database as another process would: what is stored, not what is served (either backend). */
const stored = <T>(sql: string, ...params: string[]): Promise<T[]> => queryDb<T>(h, sql, params)
const samplesOf = async (agentId: string) => (await stored<{ sample: string }>('SELECT sample FROM agent_telemetry WHERE agent_id = ? ORDER BY seq', agentId)).map((r) => r.sample)

const FULL = {
  agent_id: 'sat-25544',
  status: 'executing',
  timestamp: '2026-03-07T14:23:45Z',
  cpu_percent: 67.5,
  memory_mb: 128,
  battery_percent: 82,
  temperature_c: -34.2,
  position: { lat: 51.6, lon: -0.1, altitude_km: 420, in_eclipse: true },
  compute_capacity: 0.8,
}

describe('stored fields', () => {
  test('a 900 KB unknown field is answered 200 but stored nowhere: the sample, last_telemetry and the list hold the contract’s fields only', async () => {
    expect((await post({ ...FULL, junk: 'x'.repeat(900 * 1024), nested: { deep: [1, 2, 3] } })).status).toBe(200)
    const [sample] = await samplesOf('sat-25544')
    expect(JSON.parse(sample!)).toEqual(FULL)
    expect(sample!.length).toBeLessThan(512)
    const [agent] = await stored<{ last_telemetry: string }>('SELECT last_telemetry FROM agents WHERE id = ?', 'sat-25544')
    expect(agent!.last_telemetry).toBe(sample!)
    expect((await fleet()).agents[0].last_telemetry).toEqual(FULL)
  })

  test('position keeps lat, lon, altitude_km and in_eclipse; its extra keys are dropped; null stays null', async () => {
    await post({ position: { lat: 1, lon: 2, altitude_km: 420, in_eclipse: false, velocity: [7.6, 0, 0], note: 'x'.repeat(10_000) } })
    expect((await fleet()).agents[0].last_telemetry).toEqual({ agent_id: 'sat-25544', timestamp: '2026-03-07T12:00:00Z', position: { lat: 1, lon: 2, altitude_km: 420, in_eclipse: false } })
    await post({ position: null, cpu_percent: null })
    expect(JSON.parse((await samplesOf('sat-25544'))[1]!)).toEqual({ agent_id: 'sat-25544', timestamp: '2026-03-07T12:00:00Z', cpu_percent: null, position: null })
  })

  test.each([
    ['{"cpu_percent":1e400}', 'cpu_percent'],
    ['{"memory_mb":-1e999}', 'memory_mb'],
    ['{"compute_capacity":1e309}', 'compute_capacity'],
    ['{"position":{"lat":1e400,"lon":0,"altitude_km":0,"in_eclipse":false}}', 'position.lat'],
    ['{"position":{"lat":0,"lon":0,"altitude_km":0,"in_eclipse":"no"}}', 'position.in_eclipse'],
  ])('%s (not a finite number, or the wrong type) is 400 naming %s and stores nothing', async (raw, field) => {
    const reply = await postRaw(raw)
    expect(reply.status).toBe(400)
    expect(reply.body).toEqual({ error: expect.stringMatching(new RegExp(`^${field.replace('.', '\\.')}: `)), code: 'VALIDATION' })
    expect(await samplesOf('sat-25544')).toEqual([])
  })

  test('a sample stored before the field rule is served with the contract’s fields only', async () => {
    await post({ status: 'idle' })
    await queryDb(h, 'UPDATE agents SET last_telemetry = ? WHERE id = ?', [JSON.stringify({ ...FULL, junk: 'x'.repeat(100_000), position: { ...FULL.position, extra: 1 }, cpu_percent: 'hot' }), 'sat-25544'])
    const { cpu_percent: _, ...rest } = FULL
    expect((await fleet()).agents[0].last_telemetry).toEqual(rest)
  })
})

describe('samples kept per agent', () => {
  const bound = TELEMETRY_KEPT + TELEMETRY_PRUNE_EVERY - 1
  const count = (agentId: string) => countOf(h, 'SELECT count(*) AS n FROM agent_telemetry WHERE agent_id = ?', [agentId])

  test(`many posts at one instant leave at most ${TELEMETRY_KEPT} + ${TELEMETRY_PRUNE_EVERY - 1}: the newest, and other agents' samples untouched`, async () => {
    for (let i = 0; i < 3; i++) expect((await post({ cpu_percent: i }, 'sat-other')).status).toBe(200)
    const total = TELEMETRY_KEPT + 2 * TELEMETRY_PRUNE_EVERY + 17
    let most = 0
    for (let i = 0; i < total; i++) {
      expect((await post({ cpu_percent: i })).status).toBe(200)
      most = Math.max(most, await count('sat-25544'))
    }
    expect(most).toBe(bound)
    const kept = (await samplesOf('sat-25544')).map((s) => JSON.parse(s).cpu_percent as number)
    expect(kept.length).toBeGreaterThanOrEqual(TELEMETRY_KEPT)
    expect(kept.length).toBeLessThanOrEqual(bound)
    // The newest ones, in order, without a gap: ties of received_at are broken by arrival.
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => total - kept.length + i))
    expect(await count('sat-other')).toBe(3)
  }, 60_000)

  test('after a restart the next sample prunes at once, so restarts cannot add up past the bound', async () => {
    for (let i = 0; i < TELEMETRY_KEPT + TELEMETRY_PRUNE_EVERY; i++) await post({ cpu_percent: i }) // pruned at the 1st, 101st, … 1001st
    expect(await count('sat-25544')).toBe(bound)
    h.restart()
    clock.advance(1)
    await post({ cpu_percent: -1 })
    expect(await count('sat-25544')).toBe(TELEMETRY_KEPT)
  }, 60_000)
})

describe('the fleet list', () => {
  test('200 agents with every field at its longest (and escaped as long as JSON allows) stay under 3 KiB each per page', async () => {
    // U+001F is written \u001f in JSON: six bytes for one character, the most any character costs.
    const longest = (n: number) => '\u001f'.repeat(n)
    for (let i = 0; i < 200; i++) {
      const id = `${String(i).padStart(3, '0')}${'~'.repeat(125)}` // 128 visible ASCII characters
      const registered = await h.request('POST', '/api/agent/register', {
        body: { agent_id: id, satellite_id: longest(64), satellite_name: longest(200), agent_version: longest(64), orbit_altitude_km: -1.2345678901234567e-300 },
        headers: as(id),
      })
      expect(registered.status).toBe(201)
      const reading = -1.2345678901234567e-300
      const sample = { ...FULL, agent_id: id, timestamp: '2026-03-07T14:23:45.123456789+05:30', cpu_percent: reading, memory_mb: reading, battery_percent: reading, temperature_c: reading, compute_capacity: reading, position: { lat: reading, lon: reading, altitude_km: reading, in_eclipse: false } }
      expect((await post({ ...sample, junk: 'x'.repeat(50_000) }, id)).status).toBe(200)
    }
    const page = await h.request('GET', '/api/agents', { headers: t.asKey })
    expect(page.body.agents).toHaveLength(100)
    expect(typeof page.body.next_cursor).toBe('string')
    for (const agent of page.body.agents) expect(JSON.stringify(agent).length).toBeLessThan(3 * 1024)
    expect(page.text.length).toBeLessThan(100 * 3 * 1024)
    const all = await h.request('GET', '/api/agents?limit=500', { headers: t.asKey })
    expect(all.body.agents).toHaveLength(200)
    expect(all.text.length).toBeLessThan(200 * 3 * 1024)
  }, 60_000)
})
