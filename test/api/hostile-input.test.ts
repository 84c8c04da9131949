// What an attacker with one valid key tried against the server, one test per finding: input that is too
// deep, oddly encoded or poisonous is refused with a clear error or fails alone, and nothing a request
// stored can crash the server, block a queue or stop it from starting again (docs/limits.md).
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { parseEventInput } from '../../src/domain/event'
import { newId } from '../../src/domain/ids'
import { createHarness, createTenant, event, fixedClock, type FixedClock, type Harness, type Tenant } from '../helpers'

let h: Harness
let clock: FixedClock
let t: Tenant
beforeEach(async () => {
  clock = fixedClock('2026-03-07T12:00:00Z')
  h = createHarness({ clock })
  t = await createTenant(h)
})
afterEach(() => h.close())

/** A JSON array nested `depth` levels deep, as text (never built by recursion). */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
const report = (dep: string, raw: string, headers: Record<string, string> = {}) =>
  h.request('POST', `/api/deployments/${dep}/events`, { raw, headers: { ...t.asAgent, ...headers } })
const eventsOf = async (dep: string) => (await h.request('GET', `/api/deployments/${dep}/events`, { headers: t.asKey })).body
const deploymentOf = async (dep: string) => (await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body
const userIdOf = async (tenant: Tenant) => (await h.store.getUserByEmail(tenant.email))!.id

/** A plan stored as an older version could have stored it, past today's limits, straight through the store. */
async function storeRawPlan(planData: string, satelliteId = '25544') {
  const id = newId('plan')
  await h.store.insertPlan({ id, userId: await userIdOf(t), missionId: t.missionId, label: 'old', satelliteId, satelliteName: null, preset: null, planData, eventCount: 1, createdAt: clock() })
  return id
}
const DEEP_PLAN = `{"events":[{"type":"job.accepted","timestamp_s":0,"tiny":0.0000001,"deep":${nested(15_000)}}]}`

async function waitFor(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await Bun.sleep(10)
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('depth: 64 levels from the body root, decided before anything recursive runs', () => {
  test('a payload at the limit is stored; one level more is 400 naming payload', async () => {
    const dep = await t.createDeployment('live')
    // Root object 1, payload 2, then 62 levels of arrays: 64.
    const atLimit = await report(dep, `{"type":"a.b","timestamp":"2026-03-07T12:00:00Z","payload":{"a":${nested(62)}}}`)
    expect(atLimit.status).toBe(201)
    const over = await report(dep, `{"type":"a.b","timestamp":"2026-03-07T12:00:01Z","payload":{"a":${nested(63)}}}`)
    expect(over.status).toBe(400)
    expect(over.body).toEqual({ error: expect.stringMatching(/^payload: is nested deeper than 64 levels/), code: 'VALIDATION' })
    expect((await deploymentOf(dep)).event_count).toBe(1)
  })

  test('a payload nested 100 000 deep is a 400, not a 500, in a report and in a batch', async () => {
    const dep = await t.createDeployment('live')
    const single = await report(dep, `{"type":"a.b","timestamp":"2026-03-07T12:00:00Z","payload":{"x":${nested(100_000)}}}`)
    expect(single.status).toBe(400)
    expect(single.body.code).toBe('VALIDATION')
    const batch = await h.request('POST', `/api/deployments/${dep}/events/batch`, {
      raw: `{"events":[{"type":"a.b","timestamp":"2026-03-07T12:00:00Z","payload":${nested(100_000)}}]}`,
      headers: t.asAgent,
    })
    expect(batch.status).toBe(400)
    expect(batch.body.error).toStartWith('events: is nested deeper than 64 levels')
    expect((await deploymentOf(dep)).event_count).toBe(0)
  })

  test('every JSON body has the limit: plans name plan_data, other routes name their field', async () => {
    const plan = await h.request('POST', '/api/plans', {
      raw: `{"mission_id":"${t.missionId}","label":"deep","satellite_id":"1","plan_data":${DEEP_PLAN}}`,
      headers: t.asKey,
    })
    expect(plan.status).toBe(400)
    expect(plan.body.error).toStartWith('plan_data: is nested deeper than 64 levels')
    const mission = await h.request('POST', '/api/missions', { raw: `{"name":"m","description":${nested(65)}}`, headers: t.asKey })
    expect(mission.body).toEqual({ error: expect.stringMatching(/^description: is nested deeper/), code: 'VALIDATION' })
    const telemetry = await h.request('POST', '/api/agent/telemetry', { raw: `{"junk":${nested(70)}}`, headers: t.asAgent })
    expect(telemetry.status).toBe(400)
    const top = await h.request('POST', '/api/missions', { raw: nested(65), headers: t.asKey })
    expect(top.body.error).toStartWith('body: is nested deeper')
    expect((await h.request('GET', '/api/missions', { headers: t.asKey })).body.missions).toHaveLength(1)
  })
})

describe('a plan stored past today\'s limits never crashes the server or blocks a queue', () => {
  test('its simulated deployment fails with a stored job.failed event giving the reason; the server goes on', async () => {
    const planId = await storeRawPlan(DEEP_PLAN)
    const created = await h.request('POST', '/api/deployments', { body: { plan_id: planId, mode: 'simulated' }, headers: t.asKey })
    expect(created.status).toBe(201)
    await waitFor(async () => (await deploymentOf(created.body.id)).status === 'failed', 'the replay to fail the deployment')
    const { events } = await eventsOf(created.body.id)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ event_type: 'job.failed', job_id: created.body.id, payload: { reason: 'plan_invalid', message: expect.stringContaining('nested deeper than 64') } })
    expect((await h.request('GET', '/healthz')).status).toBe(200)
  })

  test('one already playing when the server stops is failed at start-up, and start-up goes on to the others', async () => {
    const badPlan = await storeRawPlan(DEEP_PLAN)
    const userId = await userIdOf(t)
    const base = { userId, missionId: t.missionId, satelliteId: '25544', mode: 'simulated' as const, speedMultiplier: 1, agentId: null, createdAt: clock(), dispatchedAt: null, startedAt: clock(), completedAt: null, eventCount: 0, replayActive: true }
    const bad = newId('deployment')
    await h.store.insertDeployment({ ...base, id: bad, planId: badPlan, status: 'running' })
    const good = newId('deployment')
    await h.store.insertDeployment({ ...base, id: good, planId: t.planId, status: 'running', speedMultiplier: 10_000 })
    h.restart()
    clock.advance(1) // every event of the good plan is due
    await h.app.services.replay.resume()
    await waitFor(async () => (await deploymentOf(bad)).status === 'failed', 'the bad replay to fail')
    await waitFor(async () => (await deploymentOf(good)).status === 'completed', 'the good replay to complete')
    expect((await eventsOf(bad)).events.map((e: { payload: { reason: string } }) => e.payload.reason)).toEqual(['plan_invalid'])
    // And again: nothing of it is left to trip over.
    h.restart()
    await h.app.services.replay.resume()
    expect(h.app.services.replay.activeCount).toBe(0)
  })

  test('reading it answers 200 with the stored text; polling fails it and dispatches the next deployment', async () => {
    const badPlan = await storeRawPlan(DEEP_PLAN)
    const read = await h.request('GET', `/api/plans/${badPlan}`, { headers: t.asKey })
    expect(read.status).toBe(200)
    expect(read.text).toContain(nested(15_000))
    const bad = await h.request('POST', '/api/deployments', { body: { plan_id: badPlan, mode: 'live' }, headers: t.asKey })
    clock.advance(1)
    const good = await t.createDeployment('live')
    const poll = await h.request('GET', '/api/agent/workloads', { headers: t.asAgent })
    expect(poll.status).toBe(200)
    expect(poll.body.deployment_id).toBe(good)
    expect(await deploymentOf(bad.body.id)).toMatchObject({ status: 'failed', agent_id: null })
    expect((await eventsOf(bad.body.id)).events[0]).toMatchObject({ event_type: 'job.failed', payload: { reason: 'plan_invalid' } })
  })
})

describe('one input of a group that throws fails alone', () => {
  /**
   * An event that throws once the store reads its payload (the group commit's sizing, which reads it first,
   * is let through): a stand-in for any bug a hostile input could reach inside a transaction.
   */
  const poisoned = () => {
    const input = parseEventInput(event('step.progress', '2026-03-07T11:00:00Z'))
    let reads = 0
    return Object.defineProperty({ ...input }, 'payloadJson', {
      get() {
        if (reads++ === 0) return input.payloadJson
        throw new Error('poisoned')
      },
    })
  }

  test('its rows are rolled back, the others commit as if it had not been sent', async () => {
    const other = await createTenant(h)
    const mine = await t.createDeployment('live')
    const theirs = await other.createDeployment('live')
    const [a, b] = [await userIdOf(t), await userIdOf(other)]
    const good = (userId: string, deploymentId: string, second: number) => ({
      userId,
      deploymentId,
      reporter: { kind: 'agent' as const, agentId: 'sat-25544' },
      events: [{ event: parseEventInput(event('step.progress', `2026-03-07T12:00:0${second}Z`)), key: null }],
      now: clock(),
    })
    // The poisoned input stores one good event before its bad one.
    const bad = { ...good(b, theirs, 0), events: [{ event: parseEventInput(event('step.started', '2026-03-07T12:00:00Z')), key: null }, { event: poisoned(), key: null }] }
    const outcomes = await h.app.services.reports.storeGroup([good(a, mine, 1), bad, good(a, mine, 2)])
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true])
    expect(String((outcomes[1] as { error: unknown }).error)).toContain('poisoned')
    expect((await deploymentOf(mine)).event_count).toBe(2)
    expect((await h.request('GET', `/api/deployments/${theirs}`, { headers: other.asKey })).body.event_count).toBe(0)
  })

  test('200 concurrent reports of another tenant are all stored beside a poisoned one', async () => {
    const other = await createTenant(h)
    const theirs = await other.createDeployment('live')
    const mine = await t.createDeployment('live')
    const replies = Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        h.request('POST', `/api/deployments/${theirs}/events`, { body: event('step.progress', '2026-03-07T12:00:00Z', { payload: { i } }), headers: other.asAgent }),
      ),
    )
    // Through the app's own group commit, so that it shares groups with the reports.
    const poison = h.app.services.reports.submit({
      userId: await userIdOf(t),
      deploymentId: mine,
      reporter: { kind: 'agent', agentId: 'sat-25544' },
      events: [{ event: parseEventInput(event('step.started')), key: null }, { event: poisoned(), key: null }],
      now: clock(),
    })
    const refused = expect(poison).rejects.toThrow('poisoned')
    expect((await replies).map((r) => r.status)).toEqual(Array(200).fill(201))
    await refused
    expect((await h.request('GET', `/api/deployments/${theirs}`, { headers: other.asKey })).body.event_count).toBe(200)
    expect((await deploymentOf(mine)).event_count).toBe(0)
  })
})

describe('exactly once, whatever the encoding', () => {
  test('a lone surrogate in job_id, step_id or type is 400, three times, and nothing is stored', async () => {
    const dep = await t.createDeployment('live')
    for (const field of ['job_id', 'step_id'])
      for (let i = 0; i < 3; i++) {
        const reply = await report(dep, `{"type":"a.b","timestamp":"2026-03-07T12:00:00Z","${field}":"a\\ud800b"}`)
        expect(reply.status).toBe(400)
        expect(reply.body).toEqual({ error: expect.stringMatching(new RegExp(`^${field}: must be Unicode text`)), code: 'VALIDATION' })
      }
    expect((await report(dep, '{"type":"a.\\ud800","timestamp":"2026-03-07T12:00:00Z"}')).status).toBe(400)
    expect((await report(dep, '{"type":"a.b","timestamp":"2026-03-07T12:00:00Z","job_id":"a\\u0000b"}')).status).toBe(400)
    expect((await deploymentOf(dep)).event_count).toBe(0)
  })

  test('names, labels and agent fields refuse them too', async () => {
    const cases: Array<[string, string, string, Record<string, string>]> = [
      ['/api/missions', '{"name":"m\\udc00"}', 'name', t.asKey],
      ['/api/missions', '{"name":"m","description":"x\\u0000"}', 'description', t.asKey],
      ['/api/plans', `{"mission_id":"${t.missionId}","label":"l\\ud800","satellite_id":"1","plan_data":{"events":[{"type":"a.b","timestamp_s":0}]}}`, 'label', t.asKey],
      ['/api/plans', `{"mission_id":"${t.missionId}","label":"l","satellite_id":"1","plan_data":{"events":[{"type":"a.b","timestamp_s":0,"step_id":"s\\ud800"}]}}`, 'plan_data.events[0].step_id', t.asKey],
      ['/api/agent/register', '{"agent_id":"sat-25544","satellite_name":"\\ud800"}', 'satellite_name', t.asAgent],
      ['/api/keys', '{"name":"\\u0000"}', 'name', { cookie: t.cookie }],
    ]
    for (const [path, raw, field, headers] of cases) {
      const reply = await h.request('POST', path, { raw, headers })
      expect(reply.status).toBe(400)
      expect(reply.body.error).toStartWith(`${field}: must`)
    }
  })

  test('payload strings keep their escapes: a lone surrogate is kept, distinct from U+FFFD, and its retry recognised', async () => {
    const dep = await t.createDeployment('live')
    const body = (text: string) => `{"type":"a.b","timestamp":"2026-03-07T12:00:00Z","payload":{"s":"${text}"}}`
    const first = await report(dep, body('a\\ud800b'))
    expect(first.status).toBe(201)
    const replacement = await report(dep, body('a\\ufffdb'))
    expect(replacement.status).toBe(201)
    const other = await report(dep, body('a\\udbffb'))
    expect(other.status).toBe(201)
    expect(new Set([first.body.id, replacement.body.id, other.body.id]).size).toBe(3)
    const retry = await report(dep, body('a\\uD800b'))
    expect(retry).toMatchObject({ status: 200, body: { id: first.body.id } })
    const listed = await h.request('GET', `/api/deployments/${dep}/events`, { headers: t.asKey })
    expect(listed.text).toContain('"s":"a\\ud800b"')
    expect(listed.body.total).toBe(3)
  })

  test('a body that is not UTF-8 is 400 BAD_REQUEST: \\xff and \\xfe are never stored as one U+FFFD', async () => {
    const dep = await t.createDeployment('live')
    const send = (byte: number) => {
      const head = new TextEncoder().encode('{"type":"a.b","timestamp":"2026-03-07T12:00:00Z","payload":{"x":"')
      const bytes = new Uint8Array([...head, byte, ...new TextEncoder().encode('"}}')])
      return h.app.handle(
        new Request(`http://localhost/api/deployments/${dep}/events`, {
          method: 'POST',
          body: bytes,
          headers: { ...t.asAgent, 'content-type': 'application/json', 'content-length': String(bytes.length) },
        }),
      )
    }
    for (const byte of [0xff, 0xfe, 0xc0]) {
      const reply = await send(byte)
      expect(reply.status).toBe(400)
      expect(await reply.json()).toEqual({ error: 'request body is not valid UTF-8', code: 'BAD_REQUEST' })
    }
    expect((await deploymentOf(dep)).event_count).toBe(0)
  })

  test('numbers past a double have one canonical form: 10e399 retries 1e400; 2e400 is another event', async () => {
    const dep = await t.createDeployment('live')
    const body = (n: string) => `{"type":"a.b","timestamp":"2026-03-07T12:00:00Z","payload":{"n":${n}}}`
    const first = await report(dep, body('1e400'))
    expect(first.status).toBe(201)
    for (const same of ['10e399', '0.1e401', '1.000E+400', '100000e395'])
      expect(await report(dep, body(same))).toMatchObject({ status: 200, body: { id: first.body.id } })
    expect((await report(dep, body('2e400'))).status).toBe(201)
    expect((await report(dep, body('-1e400'))).status).toBe(201)
    const exponent = await report(dep, body('1e99999999999999999999'))
    expect(exponent.status).toBe(400)
    expect(exponent.body.error).toStartWith('payload: holds the number')
    expect((await eventsOf(dep)).total).toBe(3)
  })

  test('numbers kept exact are bounded per body: 5 000 are accepted, one more is 400 naming the field', async () => {
    const dep = await t.createDeployment('live')
    // Under a 100 KiB key of an ignored field: the scan's cost must not grow with the key (it once did).
    const body = (count: number, second: number) =>
      `{"type":"a.b","timestamp":"2026-03-07T12:00:0${second}Z","x":{"${'k'.repeat(100 * 1024)}":[${Array(count).fill('1e400').join(',')}]}}`
    expect((await report(dep, body(5_000, 0))).status).toBe(201)
    const over = await report(dep, body(5_001, 1))
    expect(over.status).toBe(400)
    expect(over.body.error).toStartWith('x: holds more than 5000 numbers')
    expect((await deploymentOf(dep)).event_count).toBe(1)
  })

  test('Idempotency-Key is 1 to 255 visible ASCII characters', async () => {
    const dep = await t.createDeployment('live')
    for (const key of ['a b', 'x'.repeat(256), 'tab\there'])
      expect((await report(dep, JSON.stringify(event('a.b')), { 'idempotency-key': key })).status).toBe(400)
    expect((await report(dep, JSON.stringify(event('a.b')), { 'idempotency-key': '!~'.repeat(127) })).status).toBe(201)
  })
})

describe('retry detection is one index lookup, however many events share an instant', () => {
  test('2 000 events at one instant, same type, job and payload size: each retry is recognised exactly', async () => {
    const dep = await t.createDeployment('live')
    const at = '2026-03-07T12:00:00Z'
    const batch = (from: number) => ({ events: Array.from({ length: 500 }, (_, i) => event('step.progress', at, { payload: { n: String(from + i).padStart(6, '0') } })) })
    for (let from = 0; from < 2000; from += 500) {
      const reply = await h.request('POST', `/api/deployments/${dep}/events/batch`, { body: batch(from), headers: t.asAgent })
      expect(reply.body.created).toBe(500)
    }
    const again = await h.request('POST', `/api/deployments/${dep}/events/batch`, { body: batch(1000), headers: t.asAgent })
    expect(again.body).toMatchObject({ created: 0, duplicates: 500 })
    const page = (await h.request('GET', `/api/deployments/${dep}/events?offset=1000&limit=500`, { headers: t.asKey })).body.events
    expect(again.body.results.map((r: { id: string }) => r.id)).toEqual(page.map((e: { id: string }) => e.id))
    // Keys reordered, numbers written another way: still the same event.
    const reordered = await report(dep, `{"payload":{"n":"000007"},"job_id":"job-1","timestamp":"2026-03-07T12:00:00.000000Z","type":"step.progress"}`)
    expect(reordered).toMatchObject({ status: 200, body: { id: (await eventsOf(dep)).events[7].id } })
    expect((await deploymentOf(dep)).event_count).toBe(2000)
  })
})
