// Key scopes (docs/api.md §1 "Key scopes"): full, agent, read. The security suite holds every route to them
// (test/api/security.test.ts); this file holds the rule itself, its place in the error order and its details.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { scopeRefusal, type AuthKind } from '../../src/http/auth'
import { createHarness, createTenant, event, type Harness, type Tenant } from '../helpers'

describe('scopeRefusal: the rule', () => {
  const kinds: AuthKind[] = ['any', 'agent']
  const table: [scope: 'full' | 'agent' | 'read', kind: AuthKind, method: string, allowed: boolean][] = [
    ['full', 'any', 'GET', true],
    ['full', 'any', 'POST', true],
    ['full', 'agent', 'POST', true],
    ['full', 'agent', 'GET', true],
    ['agent', 'agent', 'POST', true],
    ['agent', 'agent', 'GET', true],
    ['agent', 'any', 'GET', false],
    ['agent', 'any', 'POST', false],
    ['read', 'any', 'GET', true],
    ['read', 'any', 'HEAD', true],
    ['read', 'any', 'POST', false],
    ['read', 'any', 'DELETE', false],
    ['read', 'any', 'PATCH', false],
    // The agent protocol is no read: a poll hands out work and every call records the agent's presence.
    ['read', 'agent', 'GET', false],
    ['read', 'agent', 'POST', false],
  ]
  for (const [scope, kind, method, allowed] of table)
    test(`${scope} key, ${kind} route, ${method} → ${allowed ? 'allowed' : 'refused'}`, () => {
      expect(scopeRefusal(scope, kind, method) === null).toBe(allowed)
    })
  test('every refusal names the scope', () => {
    for (const scope of ['agent', 'read'] as const) for (const kind of kinds) for (const method of ['GET', 'POST']) {
      const refusal = scopeRefusal(scope, kind, method)
      if (refusal !== null) expect(refusal).toContain(`scope "${scope}"`)
    }
  })
})

let h: Harness
let a: Tenant
let keys: Record<'full' | 'agent' | 'read', string>
beforeAll(async () => {
  h = createHarness()
  a = await createTenant(h)
  const make = async (scope: string) => (await h.request('POST', '/api/keys', { body: { name: scope, scope }, headers: { cookie: a.cookie } })).body
  const [agent, read] = [await make('agent'), await make('read')]
  expect([agent.scope, read.scope]).toEqual(['agent', 'read'])
  keys = { full: a.key, agent: agent.key, read: read.key }
})
afterAll(() => h.close())

describe('scoped keys through the API', () => {
  test('created with a scope, listed with it; full by default; anything else is 400 naming scope', async () => {
    const list = (await h.request('GET', '/api/keys', { headers: { cookie: a.cookie } })).body.keys
    expect(list.map((k: { name: string; scope: string }) => [k.name, k.scope])).toEqual([
      ['read', 'read'],
      ['agent', 'agent'],
      ['test', 'full'],
    ])
    for (const scope of ['admin', 'FULL', '', 5, null]) {
      const reply = await h.request('POST', '/api/keys', { body: { name: 'x', scope }, headers: { cookie: a.cookie } })
      expect(reply.status).toBe(400)
      expect(reply.body.error).toStartWith('scope:')
    }
  })

  test('an agent key does the whole agent flow; a read key reads, streams and exports, and changes nothing', async () => {
    const live = await a.createDeployment('live')
    const agent = { 'x-api-key': keys.agent, 'x-agent-id': 'sat-25544' }
    expect((await h.request('POST', '/api/agent/register', { body: { agent_id: 'sat-25544' }, headers: agent })).status).toBe(201)
    expect((await h.request('GET', '/api/agent/workloads', { headers: agent })).status).toBe(200)
    expect((await h.request('POST', `/api/deployments/${live}/events`, { body: event('job.accepted'), headers: agent })).status).toBe(201)
    expect((await h.request('POST', '/api/agent/telemetry', { body: { status: 'executing' }, headers: agent })).status).toBe(200)
    const read = { 'x-api-key': keys.read }
    expect((await h.request('GET', `/api/deployments/${live}/events`, { headers: read })).body.total).toBe(1)
    expect((await h.request('GET', `/api/deployments/${live}/events/export`, { headers: read })).status).toBe(200)
    expect((await h.request('HEAD', '/api/deployments', { headers: read })).status).toBe(200)
    const before = (await h.request('GET', `/api/deployments/${live}`, { headers: read })).body
    expect((await h.request('POST', `/api/deployments/${live}/cancel`, { headers: read })).status).toBe(403)
    expect((await h.request('GET', `/api/deployments/${live}`, { headers: read })).body).toEqual(before)
  })

  test('a read key on the agent protocol is refused before it records anything: no agent appears', async () => {
    const reply = await h.request('GET', '/api/agent/workloads', { headers: { 'x-api-key': keys.read, 'x-agent-id': 'sat-read-probe' } })
    expect(reply.status).toBe(403)
    expect((await h.request('GET', '/api/agents/sat-read-probe', { headers: a.asKey })).status).toBe(404)
  })

  test('the error order: 401, then the missing X-Agent-ID, then 413 and 415 of the body, then the scope’s 403 (before any 404)', async () => {
    const revoked = (await h.request('POST', '/api/keys', { body: { name: 'gone', scope: 'read' }, headers: { cookie: a.cookie } })).body
    await h.request('DELETE', `/api/keys/${revoked.id}`, { headers: { cookie: a.cookie } })
    expect((await h.request('POST', '/api/missions', { body: { name: 'm' }, headers: { 'x-api-key': revoked.key } })).status).toBe(401)
    expect((await h.request('POST', '/api/agent/telemetry', { body: {}, headers: { 'x-api-key': keys.read } })).status).toBe(400)
    const big = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) })
    expect((await h.request('POST', '/api/missions', { raw: big, headers: { 'x-api-key': keys.read } })).status).toBe(413)
    expect((await h.request('POST', '/api/missions', { raw: 'name=x', headers: { 'x-api-key': keys.read, 'content-type': 'text/plain' } })).status).toBe(415)
    // The key may not touch this route at all, whatever it names: as an operator on an admin route.
    const unknown = await h.request('POST', '/api/deployments/dep-unknown/cancel', { headers: { 'x-api-key': keys.agent } })
    expect(unknown.status).toBe(403)
  })

  test('the session of the key’s owner is not narrowed by any key’s scope', async () => {
    expect((await h.request('POST', '/api/missions', { body: { name: 'by session' }, headers: { cookie: a.cookie } })).status).toBe(201)
  })
})
