// The API reference that cannot drift (docs/api.md §0 "Reference"): /openapi.json is a valid OpenAPI 3.1
// document holding every route of the app, the compat shapes in it are the contract's field for field, the
// request bodies it shows are the ones the routes check, and /docs is the same document as an offline page.
// (Every answer of the whole suite is also held to the route's declared schema: test/shapes.ts.)
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Value } from '@sinclair/typebox/value'
import { createApp } from '../../src/app'
import { createMetrics } from '../../src/metrics'
import { silentLogger } from '../../src/log'
import { EventBatch, EventReport } from '../../src/http/schemas'
import { createSqliteStore } from '../../src/store/sqlite'
import { checkAnswer } from '../shapes'
import { createHarness, createTenant, event, tempDir, TEST_PASSWORD_OPTIONS, type Harness, type Tenant } from '../helpers'

type Doc = {
  openapi: string
  paths: Record<string, Record<string, { operationId: string; parameters?: { name: string; in: string }[]; responses: Record<string, { description?: string; content?: Record<string, { schema: Schema }> }>; requestBody?: unknown; security: unknown[] }>>
  components: { schemas: Record<string, Schema> }
}
type Schema = { $ref?: string; type?: string; properties?: Record<string, Schema>; required?: string[]; enum?: unknown[]; const?: unknown; anyOf?: Schema[]; items?: Schema; additionalProperties?: boolean }

let h: Harness
let doc: Doc
beforeAll(async () => {
  h = createHarness()
  const reply = await h.request('GET', '/openapi.json')
  expect(reply.status).toBe(200)
  doc = reply.body
})
afterAll(() => h.close())

const operations = () => Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })))
const elysiaPath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1')
const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path.replace(/(.)\/$/, '$1')}`

/** An app on a file of its own, with the options given; its routes are read, never served. */
function appWith(options: { console?: boolean; metrics?: boolean }) {
  const dir = tempDir()
  const store = createSqliteStore(join(dir.path, 'routes.db'))
  const app = createApp({ store, log: silentLogger, password: TEST_PASSWORD_OPTIONS, console: options.console, metrics: options.metrics ? { registry: createMetrics(), token: 'a-metrics-token-of-length' } : null })
  return { app, close: () => (app.services.streams.stop(), store.close(), dir.remove()) }
}

describe('/openapi.json', () => {
  test('is a valid OpenAPI 3.1 document, served without credentials', async () => {
    expect(doc.openapi).toBe('3.1.0')
    const result = await new Validator().validate(structuredClone(doc) as unknown as Parameters<Validator['validate']>[0])
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    // The validator is no rubber stamp: a document without its info is refused.
    expect((await new Validator().validate({ openapi: '3.1.0', paths: {} })).valid).toBe(false)
  })

  test('every route of the app is in it, the console pages aside; with --metrics-token, /metrics too', () => {
    const apiOnly = appWith({ console: false, metrics: true })
    const full = appWith({ console: true })
    try {
      const documented = new Set(operations().map(({ method, path }) => routeKey(method, elysiaPath(path))))
      const served = new Set(apiOnly.app.routes.map((r) => routeKey(r.method, r.path)))
      // With the API alone, every route is documented, /metrics included (the document here has no /metrics).
      expect([...served].filter((key) => !documented.has(key))).toEqual(['GET /metrics'])
      expect([...documented].filter((key) => !served.has(key))).toEqual([])
      // The console adds pages and assets only, none under /api, and none of them is in the document.
      const consoleRoutes = full.app.routes.map((r) => routeKey(r.method, r.path)).filter((key) => !served.has(key))
      expect(consoleRoutes.length).toBeGreaterThan(5)
      for (const key of consoleRoutes) {
        expect(key).not.toMatch(/^[A-Z]+ \/(api|healthz|metrics|openapi\.json|docs)(\/|$)/)
        expect(documented.has(key)).toBe(false)
      }
    } finally {
      apiOnly.close()
      full.close()
    }
  })

  test('operation ids are unique; every path parameter is declared; every $ref resolves', () => {
    const ids = operations().map(({ op }) => op.operationId)
    expect(new Set(ids).size).toBe(ids.length)
    for (const { path, op } of operations()) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!)
      expect((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name)).toEqual(inPath)
    }
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[A-Za-z]+"/g) ?? []
    expect(refs.length).toBeGreaterThan(50)
    for (const ref of refs) expect(doc.components.schemas[ref.slice(22, -1)]).toBeDefined()
  })

  test('every error answer is {error, code} with the closed list of codes', () => {
    const errorBody = doc.components.schemas.ErrorBody!
    expect(Object.keys(errorBody.properties!)).toEqual(['error', 'code'])
    expect(errorBody.properties!.code!.enum).toEqual(['BAD_REQUEST', 'VALIDATION', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'RATE_LIMITED', 'UNAVAILABLE', 'INTERNAL'])
    for (const { op } of operations())
      for (const [status, response] of Object.entries(op.responses))
        if (Number(status) >= 400) expect(response.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/ErrorBody' })
  })
})

/** The schema an operation declares for a status, with a top-level $ref followed. */
function answer(method: string, path: string, status: number): Schema {
  const schema = doc.paths[path]![method]!.responses[String(status)]!.content!['application/json']!.schema
  return schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!]! : schema
}
const resolved = (schema: Schema) => (schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!]! : schema)
const fields = (schema: Schema) => Object.keys(resolved(schema).properties!)
const itemsOf = (schema: Schema, key: string) => resolved(resolved(schema).properties![key]!.items!)

// The contract's words, field for field (docs/api.md §1, §2, §3, §4, §5: the compat shapes and ours beside them).
describe('the compat shapes in the document are the contract’s', () => {
  test('deployments (§2)', () => {
    const item = ['id', 'mission_id', 'plan_id', 'satellite_id', 'status', 'mode', 'speed_multiplier', 'started_at', 'completed_at', 'created_at', 'mission_name', 'sat_norad_id', 'plan_label', 'agent_id', 'dispatched_at', 'event_count', 'archived_at']
    expect(fields(answer('get', '/api/deployments/{id}', 200))).toEqual(item)
    // Archiving answers the item (ours, like GET by id).
    expect(fields(answer('post', '/api/deployments/{id}/archive', 200))).toEqual(item)
    expect(fields(answer('post', '/api/deployments/{id}/unarchive', 200))).toEqual(item)
    const list = answer('get', '/api/deployments', 200)
    expect(fields(list)).toEqual(['deployments', 'next_cursor'])
    expect(list.required).toEqual(['deployments'])
    expect(Object.keys(itemsOf(list, 'deployments').properties!)).toEqual(item)
    expect(resolved(answer('get', '/api/deployments/{id}', 200)).properties!.status!.enum).toEqual(['pending', 'dispatched', 'running', 'completed', 'failed', 'cancelled'])
    expect(answer('post', '/api/deployments', 201).properties).toEqual({ id: { type: 'string' }, status: { const: 'pending', type: 'string' } })
    expect(answer('post', '/api/deployments/{id}/cancel', 200).properties).toEqual({ id: { type: 'string' }, status: { const: 'cancelled', type: 'string' } })
  })

  test('events (§3)', () => {
    expect(fields(answer('post', '/api/deployments/{id}/events', 201))).toEqual(['id'])
    expect(fields(answer('post', '/api/deployments/{id}/events', 200))).toEqual(['id'])
    const list = answer('get', '/api/deployments/{id}/events', 200)
    expect(fields(list)).toEqual(['events', 'total', 'offset', 'limit', 'next_cursor'])
    expect(list.required).toEqual(['events', 'total', 'offset', 'limit'])
    expect(Object.keys(itemsOf(list, 'events').properties!)).toEqual(['id', 'event_type', 'step_id', 'job_id', 'payload', 'event_timestamp', 'created_at'])
    const batch = answer('post', '/api/deployments/{id}/events/batch', 200)
    expect(fields(batch)).toEqual(['results', 'created', 'duplicates'])
    expect(Object.keys(itemsOf(batch, 'results').properties!)).toEqual(['id', 'status'])
  })

  test('the agent protocol (§4)', () => {
    expect(answer('post', '/api/agent/register', 201).properties).toEqual({ id: { type: 'string' }, status: { const: 'idle', type: 'string' } })
    expect(doc.paths['/api/agent/workloads']!.get!.responses['204']).toEqual({ description: 'No Content' })
    expect(fields(answer('get', '/api/agent/workloads', 200))).toEqual(['plan_id', 'deployment_id', 'satellite_id', 'plan_data', 'events'])
    expect(answer('post', '/api/agent/telemetry', 200).properties).toEqual({ ok: { const: true, type: 'boolean' } })
    const agent = ['id', 'satellite_id', 'satellite_name', 'agent_version', 'status', 'registered_at', 'last_seen_at', 'last_heartbeat_at', 'last_telemetry', 'lost_at']
    expect(Object.keys(itemsOf(answer('get', '/api/agents', 200), 'agents').properties!)).toEqual(agent)
    expect(fields(answer('get', '/api/agents/{id}', 200))).toEqual(agent)
    expect(fields(itemsOf(answer('get', '/api/agents/{id}/telemetry', 200), 'samples'))[0]).toBe('received_at')
    // Each agent route takes the key and X-Agent-ID.
    for (const path of ['/api/agent/register', '/api/agent/workloads', '/api/agent/telemetry', '/api/deployments/{id}/events', '/api/deployments/{id}/events/batch'])
      for (const op of Object.values(doc.paths[path]!)) if (op.operationId !== 'getDeploymentsByIdEvents') expect(op.parameters!.some((p) => p.name === 'X-Agent-ID' && p.in === 'header')).toBe(true)
  })

  test('missions and plans (§5)', () => {
    expect(fields(answer('get', '/api/missions/{id}', 200))).toEqual(['id', 'name', 'description', 'created_at'])
    const plan = ['id', 'mission_id', 'label', 'satellite_id', 'satellite_name', 'preset', 'event_count', 'created_at', 'archived_at']
    expect(fields(answer('post', '/api/plans', 201))).toEqual(plan)
    expect(fields(answer('get', '/api/plans/{id}', 200))).toEqual([...plan, 'plan_data'])
    expect(Object.keys(itemsOf(answer('get', '/api/plans', 200), 'plans').properties!)).toEqual(plan)
    expect(fields(answer('post', '/api/plans/{id}/archive', 200))).toEqual(plan)
    expect(fields(answer('get', '/api/missions', 200))).toEqual(['missions', 'next_cursor'])
  })

  test('accounts and keys (§1)', () => {
    // disabled_at is ours (docs/api.md §1 "Disabling a user"), after the contract's fields.
    const user = ['id', 'email', 'name', 'role', 'created_at', 'disabled_at']
    expect(fields(itemsOf({ properties: { u: { items: answer('post', '/api/auth/login', 200).properties!.user } } }, 'u'))).toEqual(user)
    expect(fields(answer('post', '/api/users', 201))).toEqual(user)
    expect(doc.paths['/api/auth/logout']!.post!.responses['204']).toEqual({ description: 'No Content' })
    expect(doc.paths['/api/auth/password']!.post!.responses['204']).toEqual({ description: 'No Content' })
    expect(fields(answer('post', '/api/keys', 201))).toEqual(['id', 'name', 'key', 'prefix', 'environment', 'scope', 'created_at'])
    expect(Object.keys(itemsOf(answer('get', '/api/keys', 200), 'keys').properties!)).toEqual(['id', 'name', 'prefix', 'environment', 'scope', 'created_at', 'last_used_at', 'revoked_at'])
    expect(fields(answer('delete', '/api/keys/{id}', 200))).toEqual(['id', 'revoked_at'])
  })

  test('credentials (§1 table): public, key or session, key only, session only', () => {
    const security = (method: string, path: string) => doc.paths[path]![method]!.security
    expect(security('get', '/healthz')).toEqual([])
    expect(security('post', '/api/auth/login')).toEqual([])
    expect(security('get', '/api/deployments')).toEqual([{ apiKey: [] }, { bearer: [] }, { session: [] }])
    expect(security('post', '/api/deployments/{id}/events')).toEqual([{ apiKey: [] }, { bearer: [] }])
    expect(security('get', '/api/keys')).toEqual([{ session: [] }])
    expect(security('post', '/api/users')).toEqual([{ session: [] }])
  })
})

// The event bodies are parsed by hand (src/domain/event.ts), not by their schema: the two must agree.
describe('the report bodies in the document are the ones the routes take', () => {
  let a: Tenant
  let deployment: string
  beforeAll(async () => {
    a = await createTenant(h)
    deployment = await a.createDeployment('live')
  })
  const at = '2026-03-07T12:00:00Z'
  const cases: [string, unknown][] = [
    ['minimal', { type: 'job.accepted', timestamp: at }],
    ['every field', { type: 'step.progress', timestamp: at, job_id: 'j', step_id: 's', payload: { a: [1, { b: null }] } }],
    ['nulls', { type: 'step.progress', timestamp: at, job_id: null, step_id: null, payload: null }],
    ['unknown fields are ignored', { type: 'step.progress', timestamp: at, extra: 1 }],
    ['no type', { timestamp: at }],
    ['no timestamp', { type: 'job.accepted' }],
    ['a type that is not dotted', { type: 'accepted', timestamp: at }],
    ['an upper-case type', { type: 'Job.accepted', timestamp: at }],
    ['a type of 65 characters', { type: `a.${'b'.repeat(63)}`, timestamp: at }],
    ['a type of 64 characters', { type: `a.${'b'.repeat(62)}`, timestamp: at }],
    ['a number as job_id', { type: 'job.accepted', timestamp: at, job_id: 5 }],
    ['a step_id of 129 characters', { type: 'job.accepted', timestamp: at, step_id: 's'.repeat(129) }],
    ['a step_id of 128 characters', { type: 'job.accepted', timestamp: at, step_id: 's'.repeat(128) }],
    ['an array as payload', { type: 'job.accepted', timestamp: at, payload: [1] }],
    ['a string as payload', { type: 'job.accepted', timestamp: at, payload: 'x' }],
    ['a number as timestamp', { type: 'job.accepted', timestamp: 5 }],
    ['not an object', [1]],
  ]
  for (const [what, body] of cases)
    test(`${what}: the schema and the route agree`, async () => {
      const reply = await h.request('POST', `/api/deployments/${deployment}/events`, { body, headers: a.asAgent })
      expect(reply.status === 201 || reply.status === 200 ? 'accepted' : `refused ${reply.status}`).toBe(Value.Check(EventReport, body) ? 'accepted' : 'refused 400')
    })

  test('a batch: the schema and the route agree on its bounds', async () => {
    for (const events of [[], [event('step.progress')], Array.from({ length: 500 }, () => event('step.progress')), Array.from({ length: 501 }, () => event('step.progress'))]) {
      const reply = await h.request('POST', `/api/deployments/${deployment}/events/batch`, { body: { events }, headers: a.asAgent })
      expect(reply.status === 200 ? 'accepted' : `refused ${reply.status}`).toBe(Value.Check(EventBatch, { events }) ? 'accepted' : 'refused 400')
    }
  })
})

describe('/docs', () => {
  test('the document as one offline page: every operation and shape, no script, nothing fetched from elsewhere', async () => {
    const response = await h.app.handle(new Request('http://localhost/docs'))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const csp = response.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toContain('script-src')
    const html = await response.text()
    expect(html).not.toContain('<script')
    // Every link and source is on this page or this server.
    for (const [, url] of html.matchAll(/(?:href|src)="([^"]*)"/g)) expect(url).toMatch(/^(#|\/)/)
    for (const { op } of operations()) expect(html).toContain(`id="${op.operationId}"`)
    for (const name of Object.keys(doc.components.schemas)) expect(html).toContain(`id="schema-${name}"`)
  })
})

describe('the suite holds every answer to its declaration (test/shapes.ts)', () => {
  const headers = new Headers({ 'content-type': 'application/json; charset=utf-8' })
  test('a field added, a field missing, a time in another format, an undeclared status: each is caught', () => {
    const body = { id: 'm', name: 'n', description: null, created_at: '2026-03-07T12:00:00Z' }
    const url = 'http://localhost/api/missions/m'
    expect(() => checkAnswer(h.app, 'GET', url, { status: 200, headers }, JSON.stringify(body))).not.toThrow()
    expect(() => checkAnswer(h.app, 'GET', url, { status: 200, headers }, JSON.stringify({ ...body, extra: 1 }))).toThrow(/Unexpected property/)
    expect(() => checkAnswer(h.app, 'GET', url, { status: 200, headers }, JSON.stringify({ ...body, name: undefined }))).toThrow(/does not declare/)
    expect(() => checkAnswer(h.app, 'GET', url, { status: 200, headers }, JSON.stringify({ ...body, created_at: '2026-03-07T12:00:00.000Z' }))).toThrow(/created_at/)
    expect(() => checkAnswer(h.app, 'GET', url, { status: 200, headers }, JSON.stringify({ ...body, created_at: '2026-03-07T12:00:00+00:00' }))).toThrow(/created_at/)
    expect(() => checkAnswer(h.app, 'GET', url, { status: 409, headers }, JSON.stringify({ error: 'x', code: 'CONFLICT' }))).toThrow(/does not declare/)
    expect(() => checkAnswer(h.app, 'GET', url, { status: 404, headers }, JSON.stringify({ error: 'x', code: 'NOPE' }))).toThrow(/code/)
    // A bodiless answer with a body, and JSON where the route streams, are caught too.
    expect(() => checkAnswer(h.app, 'POST', 'http://localhost/api/auth/logout', { status: 204, headers }, '{}')).toThrow(/declares none/)
    expect(() => checkAnswer(h.app, 'GET', 'http://localhost/api/deployments/stream', { status: 200, headers }, '{}')).toThrow(/text\/event-stream/)
  })
})
