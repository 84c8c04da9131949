// The agents pages through app.handle (docs/console.md "Agents"): the fleet with status in words, the
// stale flag, readings and sparklines from GET /api/agents/{id}/telemetry; one agent with its samples,
// paged; nothing of another user's.
import { describe, expect, test } from 'bun:test'
import { createHarness, createTenant, fixedClock, harnessPerTest, PASSWORD, type FixedClock, type Harness, type Tenant } from '../helpers'
import { elementById, rowOf, textOf } from './fleet-kit'
import { consoleLogin, page } from './kit'

let h: Harness
let clock: FixedClock
harnessPerTest((harness, fixed) => {
  h = harness
  clock = fixed
})

const as = (t: Tenant, agentId: string) => ({ ...t.asKey, 'x-agent-id': agentId })
const register = (t: Tenant, agentId: string, body: Record<string, unknown> = {}) =>
  h.request('POST', '/api/agent/register', { body: { agent_id: agentId, ...body }, headers: as(t, agentId) })
const telemetry = (t: Tenant, agentId: string, body: Record<string, unknown>) => h.request('POST', '/api/agent/telemetry', { body, headers: as(t, agentId) })

describe('/agents', () => {
  test('each agent with status in words, satellite, version, times, readings and sparklines with their words; no other user’s agent', async () => {
    const a = await createTenant(h)
    const b = await createTenant(h)
    await register(a, 'sat-25544', { satellite_id: '25544', satellite_name: 'ISS (ZARYA)', agent_version: '2.1.0' })
    for (let i = 0; i < 5; i++) {
      clock.advance(30)
      await telemetry(a, 'sat-25544', { status: 'executing', battery_percent: 90 - i * 2.5, temperature_c: -10 + i })
    }
    await register(b, 'sat-of-b', { satellite_name: 'Secret bird', agent_version: '9.9.9' })
    await telemetry(b, 'sat-of-b', { battery_percent: 12 })
    const cookie = await consoleLogin(h, a.email, PASSWORD)
    const reply = await page(h, '/agents', cookie)
    expect(reply.status).toBe(200)
    expect(reply.text).not.toContain('sat-of-b')
    expect(reply.text).not.toContain('Secret bird')
    const row = rowOf(reply.text, 'sat-25544')!
    expect(row).toContain('href="/agents/sat-25544"')
    expect(row).toContain('data-status="executing"')
    expect(textOf(row)).toContain('executing')
    expect(row).toContain('25544')
    expect(row).toContain('ISS (ZARYA)')
    expect(row).toContain('2.1.0')
    expect(row).toContain('datetime="2026-03-07T12:00:00Z"') // registered
    expect(row).toContain('datetime="2026-03-07T12:02:30Z"') // last seen
    expect(textOf(row)).toContain('80 %')
    expect(textOf(row)).toContain('-6 °C')
    const battery = /<svg class="spark spark-battery"[^>]*>.*?<\/svg>/s.exec(row)![0]
    expect(battery).toContain('role="img"')
    expect(battery).toContain('aria-label="Battery of sat-25544, last 5 samples: latest 80 %, lowest 80 %, highest 90 %"')
    expect(battery).toContain('<title>Battery of sat-25544, last 5 samples: latest 80 %, lowest 80 %, highest 90 %</title>')
    expect(battery).toMatch(/<polyline points="2,2 31,8 60,14 89,20 118,26"/)
    expect(row).toContain('aria-label="Temperature of sat-25544, last 5 samples: latest -6 °C, lowest -10 °C, highest -6 °C"')
    // No style attribute anywhere (CSP style-src 'self').
    expect(reply.text).not.toMatch(/\sstyle=/)
  })

  test('an agent that never sent telemetry: no reading, “no history”', async () => {
    const a = await createTenant(h)
    await register(a, 'sat-quiet')
    const cookie = await consoleLogin(h, a.email, PASSWORD)
    const row = rowOf((await page(h, '/agents', cookie)).text, 'sat-quiet')!
    expect(row).toContain('data-status="idle"')
    expect(textOf(row)).toContain('no history')
    expect(row).not.toContain('<svg')
  })

  test('no agent yet: the page says how one appears', async () => {
    const a = await createTenant(h)
    const cookie = await consoleLogin(h, a.email, PASSWORD)
    const reply = await page(h, '/agents', cookie)
    expect(reply.status).toBe(200)
    expect(textOf(reply.text)).toContain('No agent has contacted the server yet')
  })

  test('50 agents a page, with a link to the next; each page reads only its own agents’ samples', async () => {
    const a = await createTenant(h)
    const userId = (await h.request('GET', '/api/auth/me', { headers: { cookie: a.cookie } })).body.user.id
    for (let i = 0; i < 53; i++) {
      clock.advance(1)
      await h.store.touchAgent(userId, `sat-${String(i).padStart(3, '0')}`, clock())
    }
    const cookie = await consoleLogin(h, a.email, PASSWORD)
    // Every API call the console makes in process goes through app.handle: count the telemetry reads.
    const reads: string[] = []
    const handle = h.app.handle.bind(h.app)
    h.app.handle = (request: Request) => {
      const url = new URL(request.url)
      if (url.pathname.endsWith('/telemetry')) reads.push(`${decodeURIComponent(url.pathname)}${url.search}`)
      return handle(request)
    }
    const first = await page(h, '/agents', cookie)
    expect(first.text.match(/<tr data-id="/g)).toHaveLength(50)
    expect(reads).toHaveLength(50)
    expect(reads).toContain('/api/agents/sat-052/telemetry?limit=50')
    expect(reads).not.toContain('/api/agents/sat-000/telemetry?limit=50')
    reads.length = 0
    const next = /<a href="(\/agents\?cursor=[^"]+)" rel="next">/.exec(first.text)![1]!
    const second = await page(h, next.replaceAll('&amp;', '&'), cookie)
    expect(second.status).toBe(200)
    expect(second.text.match(/<tr data-id="/g)).toHaveLength(3)
    expect(rowOf(second.text, 'sat-000')).not.toBeNull()
    expect(reads.sort()).toEqual(['/api/agents/sat-000/telemetry?limit=50', '/api/agents/sat-001/telemetry?limit=50', '/api/agents/sat-002/telemetry?limit=50'])
    expect(second.text).not.toContain('rel="next"')
  })

  test('a bad cursor is the API’s 400, in words', async () => {
    const a = await createTenant(h)
    const cookie = await consoleLogin(h, a.email, PASSWORD)
    const reply = await page(h, '/agents?cursor=nonsense!', cookie)
    expect(reply.status).toBe(400)
    expect(textOf(reply.text)).toContain('cursor: is not a cursor of this list')
    expect(reply.text).toContain('aria-current="page">Agents')
  })
})

describe('stale agents', () => {
  test('an agent not seen for more than five minutes is flagged in words; a fresh one is not', async () => {
    // The console judges staleness on the wall clock; the API's clock is set 10 minutes back, then now.
    const wall = fixedClock(new Date(Date.now() - 10 * 60_000).toISOString())
    const own = createHarness({ clock: wall })
    try {
      const a = await createTenant(own)
      await own.request('POST', '/api/agent/telemetry', { body: { battery_percent: 50 }, headers: { ...a.asKey, 'x-agent-id': 'sat-old' } })
      wall.advance(10 * 60)
      await own.request('POST', '/api/agent/telemetry', { body: { battery_percent: 50 }, headers: { ...a.asKey, 'x-agent-id': 'sat-new' } })
      const cookie = await consoleLogin(own, a.email, PASSWORD)
      const reply = await page(own, '/agents', cookie)
      const old = rowOf(reply.text, 'sat-old')!
      const fresh = rowOf(reply.text, 'sat-new')!
      expect(old).toContain('data-stale="true"')
      expect(textOf(old)).toMatch(/stale: no contact for 1\d min/)
      expect(fresh).not.toContain('stale')
      expect(textOf(reply.text)).toContain('Stale: no request from the agent for more than 5 minutes.')
      expect(textOf(reply.text)).toContain('1 agent on this page is stale.')
    } finally {
      await own.close()
    }
  })
})

describe('/agents/{id}', () => {
  test('the agent’s facts, sparklines and samples newest first, paged by the API’s cursor', async () => {
    const a = await createTenant(h)
    await register(a, 'sat-1', { satellite_id: '1', agent_version: '1.0' })
    for (let i = 0; i < 130; i++) {
      clock.advance(30)
      await telemetry(a, 'sat-1', { battery_percent: i % 100, temperature_c: 20, cpu_percent: 5, position: { lat: 1.5, lon: -2, altitude_km: 420, in_eclipse: i % 2 === 0 } })
    }
    const cookie = await consoleLogin(h, a.email, PASSWORD)
    const reply = await page(h, '/agents/sat-1', cookie)
    expect(reply.status).toBe(200)
    expect(textOf(reply.text)).toContain('Agent sat-1')
    expect(reply.text).toContain('data-status="idle"')
    const table = elementById(reply.text, 'telemetry')!
    expect(table.match(/<tr>/g)).toHaveLength(101) // the head and 100 samples
    expect(textOf(table)).toContain('1.5°, -2°, 420 km, in eclipse')
    expect(reply.text).toContain('aria-label="Battery, last 100 samples: latest 29 %, lowest 0 %, highest 99 %"')
    const next = /<a href="(\/agents\/sat-1\?cursor=[^"]+)" rel="next">/.exec(reply.text)![1]!
    const older = await page(h, next, cookie)
    expect(elementById(older.text, 'telemetry')!.match(/<tr>/g)).toHaveLength(31)
    expect(older.text).not.toContain('rel="next"')
  })

  test('an id with URL-special characters has its own page', async () => {
    const a = await createTenant(h)
    const id = 'sat/1?x#y'
    await telemetry(a, id, { battery_percent: 5 })
    const cookie = await consoleLogin(h, a.email, PASSWORD)
    const list = await page(h, '/agents', cookie)
    expect(list.text).toContain(`href="/agents/${encodeURIComponent(id)}"`)
    const reply = await page(h, `/agents/${encodeURIComponent(id)}`, cookie)
    expect(reply.status).toBe(200)
    expect(textOf(reply.text)).toContain(`Agent ${id}`)
  })

  test('another user’s agent, or none: the API’s 404, in words', async () => {
    const a = await createTenant(h)
    const b = await createTenant(h)
    await telemetry(b, 'sat-b', { battery_percent: 5 })
    const cookie = await consoleLogin(h, a.email, PASSWORD)
    for (const id of ['sat-b', 'nobody']) {
      const reply = await page(h, `/agents/${id}`, cookie)
      expect(reply.status).toBe(404)
      expect(textOf(reply.text)).toContain('agent not found')
    }
  })
})
