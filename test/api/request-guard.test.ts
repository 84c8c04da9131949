// The checks every request passes before routing (docs/http.md): request-head size, query strings
// (length, encoding, repeated parameters), hostile path parameters, and the routes that do not exist.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { HEAD_LIMIT, QUERY_LIMIT, headBytes } from '../../src/http/request-guard'
import { createHarness, createTenant, send, type Harness, type Tenant } from '../helpers'

let h: Harness
let t: Tenant
let dep: string
beforeAll(async () => {
  h = createHarness()
  t = await createTenant(h)
  dep = await t.createDeployment('live')
})
afterAll(() => h.close())

const JSON_TYPE = 'application/json; charset=utf-8'
const events = () => `/api/deployments/${dep}/events`

describe('request line plus headers', () => {
  // send() builds a Request with only the headers given: the head is the request line, X-Pad and framing.
  const padTo = (path: string, total: number) => ({ 'x-pad': 'p'.repeat(total - headBytes(new Request(`http://localhost${path}`, { headers: { 'x-pad': '' } }))) })

  test('headBytes counts the request line, each header with its framing, and the blank line', () => {
    const request = new Request('http://localhost/healthz?a=1', { headers: { 'x-one': 'abc' } })
    expect(headBytes(request)).toBe('GET /healthz?a=1 HTTP/1.1\r\nx-one: abc\r\n\r\n'.length)
  })

  test('exactly 64 KiB is served; one byte more is a JSON 431 BAD_REQUEST, before routing or credentials', async () => {
    expect((await h.request('GET', '/healthz', { headers: padTo('/healthz', HEAD_LIMIT) })).status).toBe(200)
    for (const path of ['/healthz', '/api/deployments', '/no/such/route']) {
      const reply = await h.request('GET', path, { headers: padTo(path, HEAD_LIMIT + 1) })
      expect(reply.status).toBe(431)
      expect(reply.headers.get('content-type')).toBe(JSON_TYPE)
      expect(reply.body).toEqual({ error: 'the request line and headers are larger than 64 KiB', code: 'BAD_REQUEST' })
    }
  })

  test('a 70 000-character path and 200 KiB of headers are JSON 431s; a 60 000-character path is routed', async () => {
    expect((await h.request('GET', `/${'a'.repeat(70_000)}`)).status).toBe(431)
    const headers = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`x-big-${i}`, 'v'.repeat(8 * 1024)]))
    expect((await h.request('GET', '/api/deployments', { headers: { ...t.asKey, ...headers } })).status).toBe(431)
    const routed = await h.request('GET', `/api/${'a'.repeat(60_000)}`)
    expect(routed.status).toBe(404)
    expect(routed.body.code).toBe('NOT_FOUND')
  })
})

describe('query strings', () => {
  test('a parameter given twice is 400 VALIDATION naming it, on every route of the app', async () => {
    const routes = h.app.routes.filter((r) => r.method !== 'ALL')
    expect(routes.length).toBeGreaterThan(20)
    for (const route of routes) {
      const path = route.path.replace(/:id/g, dep)
      const reply = await send(h.app, route.method, `${path}?x=1&x=2`, { body: {}, headers: t.asAgent })
      expect({ route: `${route.method} ${route.path}`, status: reply.status, body: reply.body }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 400,
        body: { error: 'x: is given more than once (several values go in one comma list)', code: 'VALIDATION' },
      })
    }
  })

  test('limit=1&limit=2 is refused, not silently read as one of them', async () => {
    const reply = await h.request('GET', `${events()}?limit=1&limit=2`, { headers: t.asKey })
    expect(reply.status).toBe(400)
    expect(reply.body).toEqual({ error: 'limit: is given more than once (several values go in one comma list)', code: 'VALIDATION' })
  })

  for (const [query, error] of [
    ['limit=5&%6Cimit=6', 'limit: is given more than once (several values go in one comma list)'],
    ['mission_id=a&mission_id', 'mission_id: is given more than once (several values go in one comma list)'],
    ['limit=%ff', 'limit: must be valid percent-encoded UTF-8'],
    ['limit=%ED%A0%80', 'limit: must be valid percent-encoded UTF-8'],
    ['limit=%E2%82', 'limit: must be valid percent-encoded UTF-8'],
    ['limit=%C0%AF', 'limit: must be valid percent-encoded UTF-8'],
    ['limit=%zz', 'limit: must be valid percent-encoded UTF-8'],
    ['limit=5%', 'limit: must be valid percent-encoded UTF-8'],
    ['unused=%ff', 'unused: must be valid percent-encoded UTF-8'],
    ['limit=%00', 'limit: must not contain U+0000'],
    ['cursor=ab%00cd', 'cursor: must not contain U+0000'],
    ['li%ffmit=5', 'li%ffmit: is not a valid parameter name (bad percent-encoding, invalid UTF-8 or U+0000)'],
    ['li%00mit=5', 'li%00mit: is not a valid parameter name (bad percent-encoding, invalid UTF-8 or U+0000)'],
  ] as const) {
    test(`?${query} → 400 VALIDATION "${error}"`, async () => {
      const reply = await h.request('GET', `${events()}?${query}`, { headers: t.asKey })
      expect(reply.status).toBe(400)
      expect(reply.body).toEqual({ error, code: 'VALIDATION' })
    })
  }

  test('well-formed encodings still pass: escaped digits, UTF-8, +, empty pairs', async () => {
    const reply = await h.request('GET', `${events()}?limit=%35&&note=caf%C3%A9+%F0%9F%9B%B0&`, { headers: t.asKey })
    expect(reply.status).toBe(200)
    expect(reply.body.limit).toBe(5)
  })

  test(`a query string of ${QUERY_LIMIT} bytes is read; one byte more is 400 BAD_REQUEST`, async () => {
    const query = (length: number) => `limit=7&pad=${'p'.repeat(length - 'limit=7&pad='.length)}`
    const fits = await h.request('GET', `${events()}?${query(QUERY_LIMIT)}`, { headers: t.asKey })
    expect(fits.status).toBe(200)
    expect(fits.body.limit).toBe(7)
    const over = await h.request('GET', `${events()}?${query(QUERY_LIMIT + 1)}`, { headers: t.asKey })
    expect(over.status).toBe(400)
    expect(over.body).toEqual({ error: `the query string is longer than ${QUERY_LIMIT} bytes`, code: 'BAD_REQUEST' })
  })
})

describe('numbers in the query', () => {
  test('offset takes every safe integer, and says its bound when given more', async () => {
    for (const offset of ['1234567890123456', '9007199254740991', '0009007199254740991']) {
      const reply = await h.request('GET', `${events()}?offset=${offset}`, { headers: t.asKey })
      expect(reply.status).toBe(200)
      expect(reply.body).toMatchObject({ events: [], offset: Number(offset) })
    }
    for (const offset of ['9007199254740992', '9007199254740993', '99999999999999999999', '1'.repeat(400)]) {
      const reply = await h.request('GET', `${events()}?offset=${offset}`, { headers: t.asKey })
      expect(reply.status).toBe(400)
      expect(reply.body).toEqual({ error: 'offset: must be an integer from 0 to 9007199254740991', code: 'VALIDATION' })
    }
    const limit = await h.request('GET', `${events()}?limit=501`, { headers: t.asKey })
    expect(limit.body).toEqual({ error: 'limit: must be an integer from 1 to 500', code: 'VALIDATION' })
  })
})

describe('hostile path parameters', () => {
  const IDS = ['%00', 'dep-%00', '%ff', '%ED%A0%80', '%E2%82', '%', '%zz', 'a%2Fb', '..%2F..', '%20', 'dep-' + 'x'.repeat(10_000)]
  const ROUTES: Array<[string, (id: string) => string, Record<string, unknown>?]> = [
    ['GET', (id) => `/api/deployments/${id}`],
    ['POST', (id) => `/api/deployments/${id}/cancel`],
    ['GET', (id) => `/api/deployments/${id}/events`],
    ['POST', (id) => `/api/deployments/${id}/events`, { type: 'step.progress', timestamp: '2026-03-07T12:00:00Z', job_id: 'j', payload: {} }],
    ['POST', (id) => `/api/deployments/${id}/events/batch`, { events: [] }],
    ['GET', (id) => `/api/missions/${id}`],
    ['GET', (id) => `/api/plans/${id}`],
    ['DELETE', (id) => `/api/keys/${id}`],
  ]
  for (const [method, url, body] of ROUTES) {
    test(`${method} ${url(':id')} with ${IDS.length} odd ids → JSON 404, never a 500`, async () => {
      const headers = url('').startsWith('/api/keys') ? { cookie: t.cookie } : t.asAgent
      for (const id of IDS) {
        const reply = await h.request(method, url(id), { body, headers })
        expect({ id: id.slice(0, 20), status: reply.status, type: reply.headers.get('content-type'), code: reply.body?.code }).toEqual({
          id: id.slice(0, 20),
          status: 404,
          type: JSON_TYPE,
          code: 'NOT_FOUND',
        })
      }
    })
  }
})

describe('routes that do not exist', () => {
  for (const [method, path] of [
    ['GET', '/api/nope'],
    ['GET', '/api'],
    ['POST', '/'],
    ['DELETE', '/api/deployments'],
    ['PUT', '/api/deployments/:dep'],
    ['PATCH', '/api/auth/me'],
    ['GET', '/api/auth/login'],
    ['OPTIONS', '/api/deployments'],
    ['OPTIONS', '/healthz'],
    ['TRACE', '/api/auth/me'],
    ['HEAD', '/api/auth/login'],
  ] as const) {
    test(`${method} ${path} → JSON 404 NOT_FOUND`, async () => {
      const reply = await h.request(method, path.replace(':dep', dep), { headers: t.asKey })
      expect(reply.status).toBe(404)
      expect(reply.headers.get('content-type')).toBe(JSON_TYPE)
      expect(reply.body).toEqual({ error: `no route for ${method} ${path.replace(':dep', dep)}`, code: 'NOT_FOUND' })
    })
  }

  test('HEAD on a GET route answers as GET would, without a body', async () => {
    for (const [path, headers, status] of [
      [`/api/deployments/${dep}`, t.asKey, 200],
      ['/api/deployments', {}, 401],
      ['/api/deployments/dep-unknown', t.asKey, 404],
      ['/api/keys', t.asKey, 401],
      ['/healthz', {}, 200],
    ] as const) {
      const reply = await h.request('HEAD', path, { headers })
      expect({ path, status: reply.status, type: reply.headers.get('content-type'), text: reply.text }).toEqual({ path, status, type: JSON_TYPE, text: '' })
    }
  })
})
