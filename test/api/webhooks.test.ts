// Webhooks (docs/api.md §1 "Webhooks"): the routes, the outbox rows written with the status changes they
// report, the signed deliveries to a real HTTP target, retries with back-off, giving up, and the log's bounds.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { silentLogger } from '../../src/log'
import { createWebhookSender, DELIVERY_LOG_KEPT_MICROS } from '../../src/services/webhooks'
import { createMetrics } from '../../src/metrics'
import { pickFairly } from '../../src/domain/webhooks'
import { createHarness, createTenant, event, fixedClock, queryDb, type FixedClock, type Harness, type Tenant } from '../helpers'

type Seen = { headers: Headers; body: string }
/** A target on a real port: answers each request with the status `answer` says (or never, for 0). */
function startTarget() {
  const seen: Seen[] = []
  let answer = 200
  let open = 0
  let maxOpen = 0
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      open++
      maxOpen = Math.max(maxOpen, open)
      seen.push({ headers: request.headers, body: await request.text() })
      try {
        // Never answered: held until the sender gives up on it and goes away.
        if (answer === 0) await new Promise((resolve) => request.signal.addEventListener('abort', resolve))
        if (answer === 302) return new Response(null, { status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } })
        return new Response('ok', { status: answer })
      } finally {
        open--
      }
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}/hook`,
    seen,
    answer: (status: number) => (answer = status),
    /** The most requests held open at once since the last reset. */
    get maxOpen() {
      return maxOpen
    },
    resetMaxOpen: () => (maxOpen = open),
    stop: () => server.stop(true),
  }
}

let h: Harness
let clock: FixedClock
let a: Tenant
let b: Tenant
let target: ReturnType<typeof startTarget>
beforeAll(async () => {
  clock = fixedClock()
  h = createHarness({ clock })
  a = await createTenant(h)
  b = await createTenant(h)
  target = startTarget()
})
afterAll(() => {
  target?.stop() // unset if the setup failed before it: the harness is closed all the same
  return h.close()
})

const create = (body: unknown, headers: Record<string, string> = a.asKey) => h.request('POST', '/api/webhooks', { body, headers })
const deliveries = async (id: string, headers: Record<string, string> = a.asKey) => (await h.request('GET', `/api/webhooks/${id}/deliveries`, { headers })).body.deliveries as any[]
const sender = () => createWebhookSender({ store: h.store, clock, log: silentLogger, timeoutMs: 2000 })
const verify = (secret: string, seen: Seen) => {
  const timestamp = seen.headers.get('x-ground-console-timestamp')!
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${seen.body}`).digest('hex')}`
  return seen.headers.get('x-ground-console-signature') === expected
}

describe('the routes', () => {
  test('create answers the secret once; the list and the log never show it', async () => {
    const reply = await create({ url: 'http://10.0.0.5:8065/hooks/abc', events: ['agent.lost', 'deployment.failed', 'agent.lost'] })
    expect(reply.status).toBe(201)
    expect(reply.body).toEqual({ id: expect.stringMatching(/^whk-/), url: 'http://10.0.0.5:8065/hooks/abc', events: ['deployment.failed', 'agent.lost'], secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/), created_at: '2026-03-07T12:00:00Z' })
    const list = await h.request('GET', '/api/webhooks', { headers: { cookie: a.cookie } })
    expect(list.status).toBe(200)
    expect(list.body.webhooks).toContainEqual({ id: reply.body.id, url: reply.body.url, events: reply.body.events, created_at: reply.body.created_at })
    expect(list.text).not.toContain(reply.body.secret)
    const one = await h.request('GET', `/api/webhooks/${reply.body.id}`, { headers: a.asKey })
    expect(one.body).toEqual({ id: reply.body.id, url: reply.body.url, events: reply.body.events, created_at: reply.body.created_at })
    expect((await h.request('DELETE', `/api/webhooks/${reply.body.id}`, { headers: a.asKey })).status).toBe(204)
  })

  test.each([
    [{ url: 'ftp://host/x', events: ['ping'] }, 'events.0'],
    [{ url: 'ftp://host/x', events: ['agent.lost'] }, 'url'],
    [{ url: 'file:///etc/passwd', events: ['agent.lost'] }, 'url'],
    [{ url: 'http://user:pw@host/x', events: ['agent.lost'] }, 'url'],
    [{ url: 'http://:pw@host/x', events: ['agent.lost'] }, 'url'],
    [{ url: 'not a url', events: ['agent.lost'] }, 'url'],
    [{ url: `http://host/${'a'.repeat(2048)}`, events: ['agent.lost'] }, 'url'],
    [{ url: 'http://host/x', events: [] }, 'events'],
    [{ url: 'http://host/x' }, 'events'],
    [{ url: 'http://host/\u0000', events: ['agent.lost'] }, 'url'],
    [{ url: 42, events: ['agent.lost'] }, 'url'],
  ])('%j → 400 naming %s', async (body, field) => {
    const reply = await create(body)
    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('VALIDATION')
    expect(reply.body.error.startsWith(`${field}:`)).toBe(true)
  })

  test('a URL of exactly 2 048 characters is taken', async () => {
    const url = `http://host/${'a'.repeat(2048 - 'http://host/'.length)}`
    const reply = await create({ url, events: ['agent.lost'] })
    expect(reply.status).toBe(201)
    await h.request('DELETE', `/api/webhooks/${reply.body.id}`, { headers: a.asKey })
  })

  test('at most 20 webhooks per user: the 21st is 409, another user is not counted', async () => {
    const t = await createTenant(h)
    for (let i = 0; i < 20; i++) expect((await create({ url: `http://127.0.0.1:1/${i}`, events: ['agent.lost'] }, t.asKey)).status).toBe(201)
    const over = await create({ url: 'http://127.0.0.1:1/21', events: ['agent.lost'] }, t.asKey)
    expect(over.status).toBe(409)
    expect(over.body.code).toBe('CONFLICT')
    const page = await h.request('GET', '/api/webhooks?limit=15', { headers: t.asKey })
    expect(page.body.webhooks).toHaveLength(15)
    const rest = await h.request('GET', `/api/webhooks?limit=15&cursor=${page.body.next_cursor}`, { headers: t.asKey })
    expect(rest.body.webhooks).toHaveLength(5)
    expect(rest.body.next_cursor).toBeUndefined()
    const other = await createTenant(h)
    expect((await create({ url: 'http://127.0.0.1:1/x', events: ['agent.lost'] }, other.asKey)).status).toBe(201)
  })

  test('another user’s webhook is 404 on every route, exactly like a missing one', async () => {
    const mine = (await create({ url: 'http://127.0.0.1:1/mine', events: ['agent.lost'] })).body.id
    for (const id of [mine, 'whk-missing']) {
      for (const [method, path] of [['GET', `/api/webhooks/${id}`], ['DELETE', `/api/webhooks/${id}`], ['POST', `/api/webhooks/${id}/ping`], ['GET', `/api/webhooks/${id}/deliveries`]] as const) {
        const reply = await h.request(method, path, { headers: b.asKey })
        expect(reply.status).toBe(404)
        expect(reply.body).toEqual({ error: 'webhook not found', code: 'NOT_FOUND' })
      }
    }
    expect((await h.request('GET', `/api/webhooks/${mine}/deliveries`, { headers: a.asKey })).status).toBe(200)
    expect((await h.request('DELETE', `/api/webhooks/${mine}`, { headers: a.asKey })).status).toBe(204)
  })
})

describe('alerts and their delivery', () => {
  let hook: { id: string; secret: string }
  beforeAll(async () => {
    target.answer(200)
    const reply = await create({ url: target.url, events: ['deployment.completed', 'deployment.cancelled', 'agent.lost'] })
    hook = reply.body
  })

  test('a deployment that completes writes one delivery, sent signed to the target', async () => {
    const dep = await a.createDeployment('live')
    await h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.accepted'), headers: a.asAgent })
    // Not terminal: nothing yet.
    expect(await deliveries(hook.id)).toHaveLength(0)
    const done = await h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.completed', '2026-03-07T12:00:05Z'), headers: a.asAgent })
    expect(done.status).toBe(201)
    // A late event after the terminal one changes no status and raises nothing.
    await h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.failed', '2026-03-07T12:00:06Z'), headers: a.asAgent })
    const log = await deliveries(hook.id)
    expect(log).toHaveLength(1)
    expect(log[0]).toEqual({
      id: expect.stringMatching(/^dlv-/),
      webhook_id: hook.id,
      event: 'deployment.completed',
      state: 'pending',
      attempts: 0,
      created_at: '2026-03-07T12:00:00Z',
      next_attempt_at: '2026-03-07T12:00:00Z',
      last_attempt_at: null,
      last_status: null,
      last_error: null,
    })
    const before = target.seen.length
    await sender().deliverDue()
    expect(target.seen.length).toBe(before + 1)
    const seen = target.seen.at(-1)!
    expect(verify(hook.secret, seen)).toBe(true)
    expect(seen.headers.get('x-ground-console-timestamp')).toBe(String(Math.floor(clock() / 1e6)))
    expect(seen.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const body = JSON.parse(seen.body)
    expect(body).toEqual({
      id: log[0].id,
      event: 'deployment.completed',
      created_at: '2026-03-07T12:00:00Z',
      data: {
        event: { id: done.body.id, type: 'job.completed', reason: null, message: null },
        deployment: expect.objectContaining({ id: dep, status: 'completed', mode: 'live', mission_id: a.missionId, plan_id: a.planId, satellite_id: '25544', event_count: 2, completed_at: '2026-03-07T12:00:00Z' }),
      },
    })
    const after = (await deliveries(hook.id))[0]
    expect(after).toMatchObject({ state: 'delivered', attempts: 1, next_attempt_at: null, last_status: 200, last_error: null, last_attempt_at: '2026-03-07T12:00:00Z' })
    // Delivered is final: nothing is sent again.
    await sender().deliverDue()
    expect(target.seen.length).toBe(before + 1)
  })

  test('a cancel writes deployment.cancelled; a failure the webhook does not take writes nothing', async () => {
    const cancelled = await a.createDeployment('live')
    await h.request('POST', `/api/deployments/${cancelled}/cancel`, { headers: a.asKey })
    const failed = await a.createDeployment('live')
    await h.request('POST', `/api/deployments/${failed}/events`, { body: event('job.failed'), headers: a.asAgent })
    const log = await deliveries(hook.id)
    expect(log.map((d) => d.event)).toEqual(['deployment.cancelled', 'deployment.completed'])
    await sender().deliverDue()
    // A cancel is no event: `event` is null.
    expect(JSON.parse(target.seen.at(-1)!.body).data).toMatchObject({ event: null, deployment: { id: cancelled, status: 'cancelled' } })
  })

  test('a failure names the event and its reason: the server failing a deployment (the failures service) too', async () => {
    const hookId = (await create({ url: target.url, events: ['deployment.failed'] })).body.id
    const byAgent = await a.createDeployment('live')
    const failed = await h.request('POST', `/api/deployments/${byAgent}/events`, { body: event('job.failed', undefined, { payload: { reason: 'thermal', message: 'CPU over 95 °C', extra: 'x'.repeat(1000) } }), headers: a.asAgent })
    const byServer = await a.createDeployment('live')
    const { createFailures } = await import('../../src/services/failures')
    await createFailures({ reports: h.app.services.reports, clock, log: silentLogger }).fail({ userId: (await h.request('GET', '/api/auth/me', { headers: { cookie: a.cookie } })).body.user.id, deploymentId: byServer }, 'plan_invalid', 'no events')
    const before = target.seen.length
    await sender().deliverDue()
    const bodies = target.seen.slice(before).map((s) => JSON.parse(s.body)).filter((b) => b.event === 'deployment.failed')
    const of = (id: string) => bodies.find((b) => b.data.deployment.id === id)?.data.event
    expect(of(byAgent)).toEqual({ id: failed.body.id, type: 'job.failed', reason: 'thermal', message: 'CPU over 95 °C' })
    expect(of(byServer)).toMatchObject({ type: 'job.failed', reason: 'plan_invalid', message: 'no events' })
    expect((await h.request('DELETE', `/api/webhooks/${hookId}`, { headers: a.asKey })).status).toBe(204)
  })

  test('a user without webhooks: terminal deployments write nothing; another user’s alerts never reach this webhook', async () => {
    const count = (await deliveries(hook.id)).length
    const dep = await b.createDeployment('live')
    await h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.completed'), headers: b.asAgent })
    await h.app.services.alerts.agentLost(b.email, 'sat-1', clock())
    expect(await deliveries(hook.id)).toHaveLength(count)
  })

  test('agent.lost, raised by the rest of the server through alerts.agentLost', async () => {
    const written = await h.app.services.alerts.agentLost((await h.request('GET', '/api/auth/me', { headers: { cookie: a.cookie } })).body.user.id, 'sat-25544', clock(), clock() - 600e6)
    expect(written).toBe(1)
    const [latest] = await deliveries(hook.id)
    expect(latest.event).toBe('agent.lost')
    await sender().deliverDue()
    expect(JSON.parse(target.seen.at(-1)!.body)).toMatchObject({ event: 'agent.lost', data: { agent: { id: 'sat-25544', lost_at: '2026-03-07T12:00:00Z', last_seen_at: '2026-03-07T11:50:00Z' } } })
  })

  test('ping: 202 with the delivery, sent at once, whatever the webhook takes', async () => {
    const reply = await h.request('POST', `/api/webhooks/${hook.id}/ping`, { headers: { cookie: a.cookie } })
    expect(reply.status).toBe(202)
    expect(reply.body).toMatchObject({ webhook_id: hook.id, event: 'ping', state: 'pending', attempts: 0 })
    await sender().deliverDue()
    const seen = target.seen.at(-1)!
    expect(JSON.parse(seen.body)).toMatchObject({ id: reply.body.id, event: 'ping', data: { webhook_id: hook.id } })
    expect(verify(hook.secret, seen)).toBe(true)
  })

  test('failures are retried with back-off (30 s, 60 s, …), a redirect is not followed, a 2xx ends it', async () => {
    const id = (await h.request('POST', `/api/webhooks/${hook.id}/ping`, { headers: a.asKey })).body.id
    const state = async () => (await deliveries(hook.id)).find((d) => d.id === id)
    const sent = () => target.seen.filter((s) => JSON.parse(s.body).id === id).length
    target.answer(500)
    await sender().deliverDue()
    expect(await state()).toMatchObject({ state: 'pending', attempts: 1, last_status: 500, last_error: 'answered HTTP 500', next_attempt_at: '2026-03-07T12:00:30Z' })
    // Not due yet: not sent.
    clock.advance(29)
    await sender().deliverDue()
    expect(sent()).toBe(1)
    clock.advance(1)
    target.answer(302)
    await sender().deliverDue()
    expect(sent()).toBe(2)
    expect(await state()).toMatchObject({ state: 'pending', attempts: 2, last_status: 302, next_attempt_at: '2026-03-07T12:01:30Z' })
    clock.advance(60)
    target.answer(200)
    await sender().deliverDue()
    expect(await state()).toMatchObject({ state: 'delivered', attempts: 3, last_status: 200, last_error: null, next_attempt_at: null })
    // The body was the same bytes every time (and so the same id), signed anew each time.
    const bodies = new Set(target.seen.filter((s) => JSON.parse(s.body).id === id).map((s) => s.body))
    expect(bodies.size).toBe(1)
  })

  test('a target that never answers: the attempt ends at the timeout; a refused connection is an error too; a day later it is given up', async () => {
    target.answer(0)
    const id = (await h.request('POST', `/api/webhooks/${hook.id}/ping`, { headers: a.asKey })).body.id
    const state = async () => (await deliveries(hook.id)).find((d) => d.id === id)
    await createWebhookSender({ store: h.store, clock, log: silentLogger, timeoutMs: 200 }).deliverDue()
    expect(await state()).toMatchObject({ state: 'pending', attempts: 1, last_status: null, last_error: 'no answer within 0.2 s' })
    target.answer(503)
    // Back-off doubles up to an hour: past a day of failures it is given up.
    for (let i = 0; i < 40 && (await state()).state === 'pending'; i++) {
      clock.advance(3600)
      await sender().deliverDue()
    }
    const final = await state()
    expect(final).toMatchObject({ state: 'failed', last_status: 503, next_attempt_at: null })
    expect(final.attempts).toBeGreaterThan(20)
    expect(final.attempts).toBeLessThanOrEqual(30)
    target.answer(200)
  })

  test('GET /metrics counts each attempt by its outcome', async () => {
    const metrics = createMetrics()
    const counted = createWebhookSender({ store: h.store, clock, log: silentLogger, metrics: metrics.webhooks })
    const count = async (outcome: string) => Number(new RegExp(`^ground_console_webhook_attempts_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(await metrics.render())?.[1])
    expect([await count('delivered'), await count('retry'), await count('given_up')]).toEqual([0, 0, 0])
    target.answer(500)
    await h.request('POST', `/api/webhooks/${hook.id}/ping`, { headers: a.asKey })
    await counted.deliverDue()
    target.answer(200)
    await h.request('POST', `/api/webhooks/${hook.id}/ping`, { headers: a.asKey })
    clock.advance(30)
    await counted.deliverDue()
    await counted.deliverDue()
    expect([await count('delivered'), await count('retry'), await count('given_up')]).toEqual([2, 1, 0])
  })

  test('one send at a time per webhook, whatever is due', async () => {
    target.answer(0)
    target.resetMaxOpen()
    const slow = createWebhookSender({ store: h.store, clock, log: silentLogger, timeoutMs: 300 })
    for (let i = 0; i < 3; i++) await h.request('POST', `/api/webhooks/${hook.id}/ping`, { headers: a.asKey })
    const before = target.seen.length
    // Each is tried in turn, the next once the last has timed out: never two at once.
    await slow.deliverDue()
    expect(target.seen.length).toBe(before + 3)
    expect(target.maxOpen).toBe(1)
    expect((await deliveries(hook.id)).slice(0, 3).map((d) => [d.state, d.attempts])).toEqual([['pending', 1], ['pending', 1], ['pending', 1]])
    target.answer(200)
    clock.advance(30)
    await sender().deliverDue()
    expect((await deliveries(hook.id)).slice(0, 3).map((d) => d.state)).toEqual(['delivered', 'delivered', 'delivered'])
  })
})

describe('the log', () => {
  test('paged newest first; a cursor belongs to its webhook', async () => {
    const one = (await create({ url: 'http://127.0.0.1:1/one', events: ['agent.lost'] })).body.id
    const two = (await create({ url: 'http://127.0.0.1:1/two', events: ['agent.lost'] })).body.id
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await h.request('POST', `/api/webhooks/${one}/ping`, { headers: a.asKey })).body.id)
    const first = await h.request('GET', `/api/webhooks/${one}/deliveries?limit=2`, { headers: a.asKey })
    expect(first.body.deliveries.map((d: any) => d.id)).toEqual([ids[4], ids[3]])
    const second = await h.request('GET', `/api/webhooks/${one}/deliveries?limit=2&cursor=${first.body.next_cursor}`, { headers: a.asKey })
    expect(second.body.deliveries.map((d: any) => d.id)).toEqual([ids[2], ids[1]])
    const third = await h.request('GET', `/api/webhooks/${one}/deliveries?limit=2&cursor=${second.body.next_cursor}`, { headers: a.asKey })
    expect(third.body.deliveries.map((d: any) => d.id)).toEqual([ids[0]])
    expect(third.body.next_cursor).toBeUndefined()
    const foreign = await h.request('GET', `/api/webhooks/${two}/deliveries?cursor=${first.body.next_cursor}`, { headers: a.asKey })
    expect(foreign.status).toBe(400)
    expect((await h.request('GET', `/api/webhooks/${one}/deliveries?cursor=garbage`, { headers: a.asKey })).status).toBe(400)
    expect((await h.request('GET', `/api/webhooks/${one}/deliveries?limit=501`, { headers: a.asKey })).status).toBe(400)
    // Deleting the webhook deletes its log; its alerts stop.
    expect((await h.request('DELETE', `/api/webhooks/${one}`, { headers: a.asKey })).status).toBe(204)
    expect((await h.request('GET', `/api/webhooks/${one}/deliveries`, { headers: a.asKey })).status).toBe(404)
    expect((await h.request('DELETE', `/api/webhooks/${one}`, { headers: a.asKey })).status).toBe(404)
    await h.request('DELETE', `/api/webhooks/${two}`, { headers: a.asKey })
  })

  test('delivered and failed deliveries older than 7 days are pruned; pending ones are kept', async () => {
    const t = await createTenant(h)
    const id = (await create({ url: target.url, events: ['agent.lost'] }, t.asKey)).body.id
    const delivered = (await h.request('POST', `/api/webhooks/${id}/ping`, { headers: t.asKey })).body.id
    target.answer(200)
    await sender().deliverDue()
    target.answer(500)
    const pending = (await h.request('POST', `/api/webhooks/${id}/ping`, { headers: t.asKey })).body.id
    await sender().deliverDue()
    clock.advance(DELIVERY_LOG_KEPT_MICROS / 1e6 - 1)
    await sender().prune()
    expect((await deliveries(id, t.asKey)).map((d) => d.id)).toEqual([pending, delivered])
    clock.advance(2)
    expect(await sender().prune()).toBeGreaterThanOrEqual(1)
    const left = (await deliveries(id, t.asKey)).map((d) => d.id)
    expect(left).toEqual([pending])
    expect(left).not.toContain(delivered)
    target.answer(200)
  })

  test('after a restart the server still knows who has webhooks (alerts keep being written)', async () => {
    const t = await createTenant(h)
    const id = (await create({ url: target.url, events: ['deployment.completed'] }, t.asKey)).body.id
    h.restart()
    const dep = await t.createDeployment('live')
    await h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.completed'), headers: t.asAgent })
    expect((await deliveries(id, t.asKey)).map((d) => d.event)).toEqual(['deployment.completed'])
  })
})

/**
 * A fake fetch standing in for the targets: a URL on host `hang.test` is never answered (held until the
 * sender's timeout or stop aborts it), any other answers 204 at once. Records each send in order and the
 * most sends held open at once per host.
 */
function fakeTargets() {
  const sent: { url: string; host: string; body: string; openThen: Map<string, number> }[] = []
  const open = new Map<string, number>()
  const maxOpen = new Map<string, number>()
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input)
    const host = new URL(url).host
    sent.push({ url, host, body: String(init?.body), openThen: new Map(open) })
    if (!url.includes('hang.test')) return new Response(null, { status: 204 })
    open.set(host, (open.get(host) ?? 0) + 1)
    maxOpen.set(host, Math.max(maxOpen.get(host) ?? 0, open.get(host)!))
    try {
      await new Promise((_, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)))
      throw new Error('unreachable')
    } finally {
      open.set(host, open.get(host)! - 1)
    }
  }) as typeof globalThis.fetch
  return { fetch, sent, open, maxOpen }
}

/** Resolves once `ready` holds, looking at each turn of the event loop (at most ~5 s). */
async function until(ready: () => boolean) {
  for (let i = 0; i < 5000 && !ready(); i++) await new Promise((resolve) => setTimeout(resolve, 1))
  expect(ready()).toBe(true)
}

describe('fairness between users (a hanging target delays only its own webhook)', () => {
  let fh: Harness
  let fclock: FixedClock
  beforeEach(() => {
    fclock = fixedClock()
    fh = createHarness({ clock: fclock })
  })
  afterEach(() => fh.close())

  const userIdOf = async (t: Tenant) => (await fh.store.getUserByEmail(t.email))!.id
  const hook = async (t: Tenant, url: string, events = ['deployment.failed']) => {
    const reply = await fh.request('POST', '/api/webhooks', { body: { url, events }, headers: t.asKey })
    expect(reply.status).toBe(201)
    return reply.body.id as string
  }
  const ping = (t: Tenant, id: string) => fh.request('POST', `/api/webhooks/${id}/ping`, { headers: t.asKey })
  const logOf = async (t: Tenant, id: string) => (await fh.request('GET', `/api/webhooks/${id}/deliveries?limit=500`, { headers: t.asKey })).body.deliveries as any[]

  test('2 100 alerts pending to A’s hanging target: B’s ping is among the first sends, and delivered', async () => {
    const [ta, tb] = [await createTenant(fh), await createTenant(fh)]
    const stuck = await hook(ta, 'http://a.hang.test/hook')
    const userA = await userIdOf(ta)
    // Deployment alerts are never capped nor dropped: all 2 100 are written.
    let written = 0
    for (let i = 0; i < 2100; i++) written += await fh.store.raiseAlert(userA, 'deployment.failed', { i }, fclock())
    expect(written).toBe(2100)
    const healthy = await hook(tb, 'http://b.test/hook')
    fclock.advance(1)
    const pinged = await ping(tb, healthy)
    expect(pinged.status).toBe(202)

    const targets = fakeTargets()
    const s = createWebhookSender({ store: fh.store, clock: fclock, log: silentLogger, fetch: targets.fetch })
    void s.deliverDue()
    await until(() => targets.sent.some((x) => x.host === 'b.test'))
    // The first claim considers every webhook with a due row: A's oldest and B's ping go out together.
    expect(targets.sent.slice(0, 2).map((x) => x.host).sort()).toEqual(['a.hang.test', 'b.test'])
    expect(JSON.parse(targets.sent.find((x) => x.host === 'b.test')!.body).id).toBe(pinged.body.id)
    await until(() => targets.open.get('a.hang.test') === 1)
    await s.stop()
    expect((await logOf(tb, healthy)).map((d) => d.state)).toEqual(['delivered'])
    expect(targets.maxOpen.get('a.hang.test')).toBe(1)
    // A's backlog waits its turn, one send at a time; nothing of it was dropped.
    expect((await logOf(ta, stuck)).every((d) => d.state === 'pending')).toBe(true)
  }, 30_000)

  test('A’s 8 hanging webhooks × 50 pings hold at most 2 slots; B’s ping is sent while they hang', async () => {
    const [ta, tb] = [await createTenant(fh), await createTenant(fh)]
    const hooks: string[] = []
    for (let w = 0; w < 8; w++) hooks.push(await hook(ta, `http://a${w}.hang.test/hook`))
    for (let i = 0; i < 50; i++) for (const id of hooks) expect((await ping(ta, id)).status).toBe(202)
    const healthy = await hook(tb, 'http://b.test/hook')
    fclock.advance(1)
    const pinged = await ping(tb, healthy)

    const targets = fakeTargets()
    const s = createWebhookSender({ store: fh.store, clock: fclock, log: silentLogger, fetch: targets.fetch })
    void s.deliverDue()
    await until(() => targets.sent.some((x) => x.host === 'b.test'))
    const bSend = targets.sent.findIndex((x) => x.host === 'b.test')
    // B's ping, 401st in line, goes out second: A's first send had the only slot B did not take first.
    expect(bSend).toBeLessThan(2)
    await until(() => [...targets.open.values()].reduce((n, x) => n + x, 0) === 2)
    await new Promise((resolve) => setTimeout(resolve, 50))
    // A's sends still hang, two of them, and no more are started however many slots are free.
    const aOpen = [...targets.open].filter(([host]) => host.endsWith('.hang.test')).reduce((n, [, x]) => n + x, 0)
    expect(aOpen).toBe(2)
    expect(s.inFlight).toBe(2)
    expect(targets.sent.filter((x) => x.host.endsWith('.hang.test'))).toHaveLength(2)
    expect((await logOf(tb, healthy)).map((d) => [d.id, d.state])).toEqual([[pinged.body.id, 'delivered']])
    await s.stop()
  }, 30_000)

  test('at most 2 sends in flight per user, whatever the slots; users with fewer in flight go first', async () => {
    const tenants = [await createTenant(fh), await createTenant(fh), await createTenant(fh)]
    // Each user: 4 webhooks to hanging targets, one ping each.
    for (const [u, t] of tenants.entries()) for (let w = 0; w < 4; w++) expect((await ping(t, await hook(t, `http://u${u}w${w}.hang.test/hook`))).status).toBe(202)
    const targets = fakeTargets()
    const s = createWebhookSender({ store: fh.store, clock: fclock, log: silentLogger, fetch: targets.fetch, maxInFlight: 8 })
    void s.deliverDue()
    await until(() => targets.sent.length === 6)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const perUser = (hosts: string[]) => [0, 1, 2].map((u) => hosts.filter((h) => h.startsWith(`u${u}w`)).length)
    // 8 slots, 12 due: 2 per user, 6 in flight, and the first three sends one per user (fewest in flight first).
    expect(targets.sent).toHaveLength(6)
    expect(perUser(targets.sent.map((x) => x.host))).toEqual([2, 2, 2])
    expect(perUser(targets.sent.slice(0, 3).map((x) => x.host))).toEqual([1, 1, 1])
    expect(s.inFlight).toBe(6)
    await s.stop()
  })

  test('the fair pick: fewer in flight first, then the row due longest; never past the per-user limit', () => {
    const c = (userId: string, webhookId: string, due: number, seq: number) => ({ userId, webhookId, due, seq })
    const candidates = [c('u1', 'w1', 1, 1), c('u1', 'w2', 2, 2), c('u2', 'w3', 5, 5), c('u3', 'w4', 9, 9), c('u4', 'w5', 0, 0)]
    const inFlight = new Map([
      ['u1', 1],
      ['u4', 2],
    ])
    expect(pickFairly(candidates, { limit: 8, inFlight, perUser: 2 }).map((x) => x.webhookId)).toEqual(['w3', 'w4', 'w1'])
    expect(pickFairly(candidates, { limit: 2, inFlight, perUser: 2 }).map((x) => x.webhookId)).toEqual(['w3', 'w4'])
    expect(pickFairly(candidates, { limit: 8, inFlight: new Map(), perUser: 2 }).map((x) => x.webhookId)).toEqual(['w5', 'w1', 'w3', 'w4', 'w2'])
  })

  test('a ping to a webhook with 100 pending deliveries is 409; an alert is still written; another user’s is 404 first', async () => {
    const [ta, tb] = [await createTenant(fh), await createTenant(fh)]
    const id = await hook(ta, 'http://a.hang.test/hook', ['deployment.failed'])
    for (let i = 0; i < 100; i++) expect((await ping(ta, id)).status).toBe(202)
    const refused = await ping(ta, id)
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('CONFLICT')
    expect(refused.text).toContain('100 deliveries waiting')
    // Not the owner: 404, exactly as a missing webhook, before any 409.
    expect((await ping(tb, id)).status).toBe(404)
    expect((await ping(ta, 'whk-missing')).status).toBe(404)
    // Alerts are never dropped by the cap.
    expect(await fh.store.raiseAlert(await userIdOf(ta), 'deployment.failed', { x: 1 }, fclock())).toBe(1)
    const log = await logOf(ta, id)
    expect(log).toHaveLength(101)
    expect(log[0].event).toBe('deployment.failed')
    // Once the backlog is sent, pings are taken again.
    const s = createWebhookSender({ store: fh.store, clock: fclock, log: silentLogger, fetch: fakeTargets().fetch })
    await queryDb(fh, "UPDATE webhooks SET url = 'http://a.test/hook'")
    await s.deliverDue()
    expect((await logOf(ta, id)).every((d) => d.state === 'delivered')).toBe(true)
    expect((await ping(ta, id)).status).toBe(202)
  }, 30_000)

  test('pruning is never stalled by pending rows, however many and old, at the head of the log', async () => {
    const t = await createTenant(fh)
    const id = await hook(t, 'http://b.test/hook')
    const userId = await userIdOf(t)
    const old = fclock()
    // 6 000 pending rows first (longer than any window of the oldest rows), then 700 delivered and 700
    // failed: written by hand in one statement both SQL dialects read alike.
    await queryDb(
      fh,
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 7399)
       INSERT INTO webhook_deliveries (webhook_id, user_id, event, body, created_at, state, attempts, next_attempt_at)
       SELECT ?, ?, 'deployment.failed', '{"id":"dlv-old"}',
         CASE WHEN i < 6000 THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) + (i - 6000) END,
         CASE WHEN i < 6000 THEN 'pending' WHEN (i - 6000) % 2 = 1 THEN 'delivered' ELSE 'failed' END,
         1,
         CASE WHEN i < 6000 THEN CAST(? AS BIGINT) ELSE NULL END
       FROM n ORDER BY i`,
      [id, userId, old, old, old + 1e15],
    )
    fclock.advance(DELIVERY_LOG_KEPT_MICROS / 1e6 + 3600)
    const s = createWebhookSender({ store: fh.store, clock: fclock, log: silentLogger, fetch: fakeTargets().fetch })
    expect(await s.prune()).toBe(1400)
    const left = await queryDb<{ state: string; n: number | string }>(fh, 'SELECT state, count(*) AS n FROM webhook_deliveries GROUP BY state')
    expect(left.map(({ state, n }) => ({ state, n: Number(n) }))).toEqual([{ state: 'pending', n: 6000 }])
  }, 30_000)
})

describe('review follow-ups', () => {
  let h: Harness
  let t: Tenant
  beforeEach(async () => {
    h = createHarness()
    t = await createTenant(h)
  })
  afterEach(() => h.close())
  const hook = (body: unknown, headers: Record<string, string> = t.asKey) => h.request('POST', '/api/webhooks', { body, headers })

  test('at the limit of 20, a bad body is the 409, not the 400 (docs/api.md §0 order)', async () => {
    for (let i = 0; i < 20; i++) expect((await hook({ url: `http://10.0.0.1/h${i}`, events: ['agent.lost'] })).status).toBe(201)
    const bad = await hook({ url: 'ftp://x', events: [] })
    expect(bad.status).toBe(409)
    expect(bad.body.error).toContain('at most 20 webhooks')
  })

  test('a read key sees webhook URLs without their path and query (where chat servers keep their token); a full key and the session see them whole', async () => {
    const url = 'https://hooks.chat.example:8443/services/T000/B000/XXXXSECRET?token=abc'
    const created = await hook({ url, events: ['deployment.failed'] })
    expect(created.status).toBe(201)
    const read = (await h.request('POST', '/api/keys', { body: { name: 'dash', scope: 'read' }, headers: { cookie: t.cookie } })).body.key
    const asRead = { 'x-api-key': read }
    const list = await h.request('GET', '/api/webhooks', { headers: asRead })
    expect(list.body.webhooks[0].url).toBe('https://hooks.chat.example:8443/…')
    expect(list.text).not.toContain('XXXXSECRET')
    expect((await h.request('GET', `/api/webhooks/${created.body.id}`, { headers: asRead })).body.url).toBe('https://hooks.chat.example:8443/…')
    expect((await h.request('GET', `/api/webhooks/${created.body.id}`, { headers: t.asKey })).body.url).toBe(url)
    expect((await h.request('GET', '/api/webhooks', { headers: { cookie: t.cookie } })).body.webhooks[0].url).toBe(url)
    // And a read key cannot make or ping one.
    expect((await hook({ url: 'http://10.0.0.1/x', events: ['agent.lost'] }, asRead)).status).toBe(403)
    expect((await h.request('POST', `/api/webhooks/${created.body.id}/ping`, { headers: asRead })).status).toBe(403)
  })
})
