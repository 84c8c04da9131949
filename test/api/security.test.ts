// One security suite over every protected route (docs/api.md §1 table): no credentials, a malformed key, an
// unknown key, a revoked key, the wrong kind of credential, another user's resource. A route added to the
// app without a row here fails the coverage test at the bottom.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { createHarness, createTenant, event, onPostgres, PASSWORD, type Harness, type Tenant } from '../helpers'

type Kind = 'any' | 'agent' | 'session' | 'admin'
type World = {
  a: Tenant
  dep: string
  other: Tenant
  spareKeyId: string
  /** An operator an admin may change. */
  spareUserId: string
  freshDeployment(): string
  /** An agent of `a` only. */
  agentId: string
  /** Keys of `a` of scope agent and read (docs/api.md §1 "Key scopes"). */
  scoped: { agent: string; read: string }
  webhookId: string
  freshWebhook(): string
  /** A finished deployment of `a`, to archive and restore. */
  finished: string
  /** A plan of `a` to archive and restore (not the one other rows deploy). */
  sparePlan: string
  /** Another agent of `a` for each call, to delete. */
  freshAgent(): string
}
type Route = {
  method: string
  path: string
  kind: Kind
  url(w: World): string
  body?(w: World): unknown
  /** Another user's resource is named in the URL: that user gets 404. */
  owned?: boolean
  /** A stream (SSE): a success is read only as far as its head, then the client goes away. */
  stream?: boolean
}

let newUsers = 0
const ROUTES: Route[] = [
  { method: 'GET', path: '/api/auth/me', kind: 'session', url: () => '/api/auth/me' },
  // The same password again: the caller's session stays and the tenant's other credentials keep working.
  { method: 'POST', path: '/api/auth/password', kind: 'session', url: () => '/api/auth/password', body: () => ({ current_password: PASSWORD, new_password: PASSWORD }) },
  { method: 'POST', path: '/api/keys', kind: 'session', url: () => '/api/keys', body: () => ({ name: 'k' }) },
  { method: 'GET', path: '/api/keys', kind: 'session', url: () => '/api/keys' },
  { method: 'DELETE', path: '/api/keys/:id', kind: 'session', url: (w) => `/api/keys/${w.spareKeyId}`, owned: true },
  { method: 'POST', path: '/api/users', kind: 'admin', url: () => '/api/users', body: () => ({ email: `n${++newUsers}@x.y`, password: 'long enough pw' }) },
  { method: 'GET', path: '/api/users', kind: 'admin', url: () => '/api/users' },
  // Enabling a user who is not disabled changes nothing: every call may repeat it.
  { method: 'PATCH', path: '/api/users/:id', kind: 'admin', url: (w) => `/api/users/${w.spareUserId}`, body: () => ({ disabled: false, role: 'operator' }) },
  { method: 'POST', path: '/api/users/:id/password', kind: 'admin', url: (w) => `/api/users/${w.spareUserId}/password`, body: () => ({ new_password: 'long enough pw' }) },
  { method: 'GET', path: '/api/audit', kind: 'admin', url: () => '/api/audit' },
  { method: 'POST', path: '/api/admin/backup', kind: 'admin', url: () => '/api/admin/backup' },
  { method: 'POST', path: '/api/missions', kind: 'any', url: () => '/api/missions', body: () => ({ name: 'm' }) },
  { method: 'GET', path: '/api/missions', kind: 'any', url: () => '/api/missions' },
  { method: 'GET', path: '/api/missions/:id', kind: 'any', url: (w) => `/api/missions/${w.a.missionId}`, owned: true },
  { method: 'POST', path: '/api/plans', kind: 'any', url: () => '/api/plans', body: (w) => ({ mission_id: w.a.missionId, label: 'p', satellite_id: '1', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }), owned: true },
  { method: 'GET', path: '/api/plans', kind: 'any', url: () => '/api/plans' },
  { method: 'GET', path: '/api/plans/:id', kind: 'any', url: (w) => `/api/plans/${w.a.planId}`, owned: true },
  { method: 'POST', path: '/api/deployments', kind: 'any', url: () => '/api/deployments', body: (w) => ({ plan_id: w.a.planId, mode: 'live' }), owned: true },
  { method: 'GET', path: '/api/deployments', kind: 'any', url: () => '/api/deployments' },
  { method: 'GET', path: '/api/deployments/:id', kind: 'any', url: (w) => `/api/deployments/${w.dep}`, owned: true },
    // Each call cancels a deployment of its own: a second cancel would be a 409.
  { method: 'POST', path: '/api/deployments/:id/cancel', kind: 'any', url: (w) => `/api/deployments/${w.freshDeployment()}/cancel`, owned: true },
  { method: 'POST', path: '/api/deployments/:id/events', kind: 'agent', url: (w) => `/api/deployments/${w.dep}/events`, body: () => event('step.progress'), owned: true },
  { method: 'POST', path: '/api/deployments/:id/events/batch', kind: 'agent', url: (w) => `/api/deployments/${w.dep}/events/batch`, body: () => ({ events: [event('step.progress')] }), owned: true },
  { method: 'GET', path: '/api/deployments/:id/events', kind: 'any', url: (w) => `/api/deployments/${w.dep}/events`, owned: true },
  { method: 'GET', path: '/api/deployments/:id/events/stream', kind: 'any', url: (w) => `/api/deployments/${w.dep}/events/stream`, owned: true, stream: true },
  { method: 'GET', path: '/api/deployments/stream', kind: 'any', url: () => '/api/deployments/stream', stream: true },
  { method: 'GET', path: '/api/deployments/:id/events/export', kind: 'any', url: (w) => `/api/deployments/${w.dep}/events/export`, owned: true },
  { method: 'POST', path: '/api/agent/register', kind: 'agent', url: () => '/api/agent/register', body: () => ({ agent_id: 'sat-25544' }) },
  { method: 'GET', path: '/api/agent/workloads', kind: 'agent', url: () => '/api/agent/workloads' },
  { method: 'POST', path: '/api/agent/telemetry', kind: 'agent', url: () => '/api/agent/telemetry', body: () => ({ status: 'idle' }) },
  { method: 'GET', path: '/api/agents', kind: 'any', url: () => '/api/agents' },
  { method: 'GET', path: '/api/agents/:id', kind: 'any', url: (w) => `/api/agents/${w.agentId}`, owned: true },
  { method: 'GET', path: '/api/agents/:id/telemetry', kind: 'any', url: (w) => `/api/agents/${w.agentId}/telemetry`, owned: true },
  { method: 'GET', path: '/api/usage', kind: 'any', url: () => '/api/usage' },
  { method: 'POST', path: '/api/webhooks', kind: 'any', url: () => '/api/webhooks', body: () => ({ url: 'http://127.0.0.1:1/hook', events: ['agent.lost'] }) },
  { method: 'GET', path: '/api/webhooks', kind: 'any', url: () => '/api/webhooks' },
  { method: 'GET', path: '/api/webhooks/:id', kind: 'any', url: (w) => `/api/webhooks/${w.webhookId}`, owned: true },
  // Each call deletes a webhook of its own: a second delete would be a 404.
  { method: 'DELETE', path: '/api/webhooks/:id', kind: 'any', url: (w) => `/api/webhooks/${w.freshWebhook()}`, owned: true },
  { method: 'POST', path: '/api/webhooks/:id/ping', kind: 'any', url: (w) => `/api/webhooks/${w.webhookId}/ping`, owned: true },
  { method: 'GET', path: '/api/webhooks/:id/deliveries', kind: 'any', url: (w) => `/api/webhooks/${w.webhookId}/deliveries`, owned: true },
  // Archiving again and restoring again answer 200: one deployment and one plan serve every call.
  { method: 'POST', path: '/api/deployments/:id/archive', kind: 'any', url: (w) => `/api/deployments/${w.finished}/archive`, owned: true },
  { method: 'POST', path: '/api/deployments/:id/unarchive', kind: 'any', url: (w) => `/api/deployments/${w.finished}/unarchive`, owned: true },
  { method: 'POST', path: '/api/plans/:id/archive', kind: 'any', url: (w) => `/api/plans/${w.sparePlan}/archive`, owned: true },
  { method: 'POST', path: '/api/plans/:id/unarchive', kind: 'any', url: (w) => `/api/plans/${w.sparePlan}/unarchive`, owned: true },
  // Each call deletes an agent of its own: a second delete would be a 404.
  { method: 'DELETE', path: '/api/agents/:id', kind: 'any', url: (w) => `/api/agents/${w.freshAgent()}`, owned: true },
]

let h: Harness
let w: World
let revokedKey: string
beforeAll(async () => {
  h = createHarness()
  const a = await createTenant(h, 'admin')
  const other = await createTenant(h, 'admin')
  const spare = await h.request('POST', '/api/keys', { body: { name: 'spare' }, headers: { cookie: a.cookie } })
  const pool: string[] = []
  for (let i = 0; i < 20; i++) pool.push(await a.createDeployment('live'))
  const freshDeployment = () => {
    const id = pool.pop()
    if (!id) throw new Error('the pool of deployments to cancel is empty: make it larger')
    return id
  }
  const scopedKey = async (scope: string) => (await h.request('POST', '/api/keys', { body: { name: scope, scope }, headers: { cookie: a.cookie } })).body.key as string
  const scoped = { agent: await scopedKey('agent'), read: await scopedKey('read') }
  // Webhooks of `a`: one to ping and read, and a few to delete (the POST row adds more, up to the 20 a user may have).
  const hook = async () => (await h.request('POST', '/api/webhooks', { body: { url: 'http://127.0.0.1:1/hook', events: ['agent.lost'] }, headers: a.asKey })).body.id as string
  const webhookId = await hook()
  for (let i = 0; i < 14; i++) webhookPool.push(await hook())
  const freshWebhook = () => {
    const id = webhookPool.pop()
    if (!id) throw new Error('the pool of webhooks to delete is empty: make it larger')
    handedOut.push(id)
    return id
  }
  const agentPool: string[] = []
  for (let i = 0; i < 20; i++) {
    agentPool.push(`sat-spare-${i}`)
    await h.request('POST', '/api/agent/telemetry', { body: {}, headers: { ...a.asKey, 'x-agent-id': `sat-spare-${i}` } })
  }
  const freshAgent = () => {
    const id = agentPool.pop()
    if (!id) throw new Error('the pool of agents to delete is empty: make it larger')
    return id
  }
  const finished = await a.createDeployment('live')
  await h.request('POST', `/api/deployments/${finished}/cancel`, { headers: a.asKey })
  const plan = await h.request('POST', '/api/plans', {
    body: { mission_id: a.missionId, label: 'spare', satellite_id: '1', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } },
    headers: a.asKey,
  })
  const spareUser = await h.request('POST', '/api/users', { body: { email: 'spare@x.y', password: 'long enough pw' }, headers: { cookie: a.cookie } })
  w = { a, other, dep: await a.createDeployment('live'), spareKeyId: spare.body.id, spareUserId: spareUser.body.id, freshDeployment, agentId: 'sat-only-a', scoped, webhookId, freshWebhook, finished, sparePlan: plan.body.id, freshAgent }
  await h.request('POST', '/api/agent/telemetry', { body: { battery_percent: 50 }, headers: { ...a.asKey, 'x-agent-id': w.agentId } })
  const extra = await h.request('POST', '/api/keys', { body: { name: 'to revoke' }, headers: { cookie: a.cookie } })
  revokedKey = extra.body.key
  await h.request('DELETE', `/api/keys/${extra.body.id}`, { headers: { cookie: a.cookie } })
})
afterAll(() => h.close())

// A webhook handed out to a test that was refused (401, 403, 404) still exists: back to the pool with it,
// so that the refusals do not use up the 20 webhooks a user may have.
const webhookPool: string[] = []
const handedOut: string[] = []
beforeEach(async () => {
  for (const id of handedOut.splice(0)) if ((await h.request('GET', `/api/webhooks/${id}`, { headers: w.a.asKey })).status === 200) webhookPool.push(id)
})

async function call(route: Route, headers: Record<string, string>) {
  if (!route.stream) return h.request(route.method, route.url(w), { body: route.body?.(w), headers })
  const client = new AbortController()
  const response = await h.app.handle(new Request(`http://localhost${route.url(w)}`, { headers, signal: client.signal }))
  const json = response.headers.get('content-type')?.startsWith('application/json')
  const body = json ? await response.json() : null
  // An open stream: its head is the answer; then the client goes away.
  if (!json) expect(response.headers.get('content-type')).toBe('text/event-stream')
  client.abort()
  await response.body?.cancel().catch(() => {})
  return { status: response.status, body }
}
/**
 * Past every credential check: answered. On PostgreSQL the backup route then refuses by itself (409
 * CONFLICT: pg_dump is the backup there), which is still past the guard.
 */
const expectThrough = (route: Route, reply: { status: number; body: any }) => {
  if (onPostgres && route.path === '/api/admin/backup') expect([reply.status, reply.body?.code]).toEqual([409, 'CONFLICT'])
  else expect(reply.status).toBeLessThan(300)
}
const expect401 = async (route: Route, headers: Record<string, string>) => {
  const reply = await call(route, headers)
  expect(reply.status).toBe(401)
  expect(reply.body).toEqual({ error: expect.any(String), code: 'UNAUTHORIZED' })
}
const agentHeaders = (key: string) => ({ 'x-api-key': key, 'x-agent-id': 'sat-25544' })

for (const route of ROUTES) {
  describe(`${route.method} ${route.path} (${route.kind})`, () => {
    test('no credentials → 401', () => expect401(route, { 'x-agent-id': 'sat-25544' }))
    test('malformed key → 401', () => expect401(route, agentHeaders('garbage')))
    test('unknown key → 401', () => expect401(route, agentHeaders(`rs_live_${'A'.repeat(40)}`)))
    test('revoked key → 401', () => expect401(route, agentHeaders(revokedKey)))
    test('malformed bearer → 401', () => expect401(route, { authorization: 'Bearer nope', 'x-agent-id': 'sat-25544' }))

    if (route.kind === 'agent') {
      test('a session alone → 401', () => expect401(route, { cookie: w.a.cookie, 'x-agent-id': 'sat-25544' }))
      test('a key without X-Agent-ID → 400', async () => {
        const reply = await call(route, w.a.asKey)
        expect(reply.status).toBe(400)
        expect(reply.body.code).toBe('BAD_REQUEST')
      })
    }
    if (route.kind === 'session' || route.kind === 'admin') {
      test('an API key instead of a session → 401', () => expect401(route, w.a.asAgent))
    }
    // A key of each narrower scope (docs/api.md §1 "Key scopes"): inside it the route answers as for a
    // full key; outside it, 403 — and a session-only route takes no key of any scope.
    for (const scope of ['agent', 'read'] as const) {
      const allowed = route.kind === 'agent' ? scope === 'agent' : route.kind === 'any' ? scope === 'read' && route.method === 'GET' : false
      const expected = route.kind === 'session' || route.kind === 'admin' ? 401 : allowed ? 'answered' : 403
      test(`a key of scope ${scope} → ${expected}`, async () => {
        const reply = await call(route, { 'x-api-key': w.scoped[scope], 'x-agent-id': 'sat-25544' })
        if (expected === 'answered') expect(reply.status).toBeLessThan(300)
        else {
          expect(reply.status).toBe(expected)
          expect(reply.body.code).toBe(expected === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN')
          if (expected === 403) expect(reply.body.error).toContain(`scope "${scope}"`)
        }
      })
    }
    if (route.kind === 'admin') {
      test('an operator’s session → 403', async () => {
        const op = await createTenant(h)
        const reply = await call(route, { cookie: op.cookie })
        expect(reply.status).toBe(403)
        expect(reply.body.code).toBe('FORBIDDEN')
      })
    }
    if (route.owned) {
      test('another user’s resource → 404', async () => {
        const headers = route.kind === 'session' ? { cookie: w.other.cookie } : w.other.asAgent
        const reply = await call(route, headers)
        expect(reply.status).toBe(404)
        expect(reply.body.code).toBe('NOT_FOUND')
      })
    }
    if (route.kind !== 'agent' && route.method !== 'GET') {
      // CSRF (docs/api.md §0): a browser's session change from another site is refused; curl (no Origin) and
      // the console's own pages (same origin) are not; an API key is no ambient credential, so it passes.
      const session = () => ({ cookie: w.a.cookie })
      for (const [what, headers] of [
        ['Origin of another site', { origin: 'https://evil.example' }],
        ['Origin of another port', { origin: 'http://localhost:8081' }],
        ['Origin: null', { origin: 'null' }],
        ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ] as const) {
        test(`a session with ${what} → 403`, async () => {
          const reply = await call(route, { ...session(), ...headers })
          expect(reply.status).toBe(403)
          expect(reply.body.code).toBe('FORBIDDEN')
          expect(reply.body.error).toContain('another site')
        })
      }
      test('a session from the same origin gets through', async () => {
        const reply = await call(route, { ...session(), origin: 'http://localhost', 'sec-fetch-site': 'same-origin' })
        expectThrough(route, reply)
      })
      if (route.kind === 'any') {
        test('an API key with a foreign Origin gets through (not an ambient credential)', async () => {
          const reply = await call(route, { authorization: `Bearer ${w.a.key}`, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })
          expect(reply.status).toBeLessThan(300)
        })
      }
    }
    test('the right credential gets through', async () => {
      const headers = route.kind === 'session' || route.kind === 'admin' ? { cookie: w.a.cookie } : route.kind === 'agent' ? w.a.asAgent : { authorization: `Bearer ${w.a.key}` }
      const reply = await call(route, headers)
      expectThrough(route, reply)
    })
  })
}

describe('login and logout from another site', () => {
  test('a login posted from another site → 403, nothing set', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
      const reply = await h.request('POST', '/api/auth/login', { body: { email: w.a.email, password: PASSWORD }, headers })
      expect(reply.status).toBe(403)
      expect(reply.headers.get('set-cookie')).toBeNull()
    }
  })
  test('a logout posted from another site → 403 and the session lives on', async () => {
    const reply = await h.request('POST', '/api/auth/logout', { headers: { cookie: w.a.cookie, origin: 'https://evil.example' } })
    expect(reply.status).toBe(403)
    expect((await h.request('GET', '/api/auth/me', { headers: { cookie: w.a.cookie } })).status).toBe(200)
  })
})

test('every /api route of the app is in this suite', () => {
  const inApp = h.app.routes
    .filter((r) => r.path.startsWith('/api/') && r.path !== '/api/auth/login' && r.path !== '/api/auth/logout')
    .map((r) => `${r.method} ${r.path.replace(/\/$/, '')}`)
  expect(new Set(inApp)).toEqual(new Set(ROUTES.map((r) => `${r.method} ${r.path}`)))
})
