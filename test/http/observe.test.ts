// Request ids, request lines and request metrics in process (src/http/observe.ts, src/routes/metrics.ts):
// what app.serveRequest adds to app.handle. The real process is test/server/observe.test.ts.
import { afterAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { createApp } from '../../src/app'
import { createMetrics } from '../../src/metrics'
import { createSqliteStore } from '../../src/store/sqlite'
import { silentLogger, type Logger } from '../../src/log'
import { TEST_PASSWORD_OPTIONS, tempDir } from '../helpers'

const TOKEN = 'in-process-metrics-token-42'
const dir = tempDir()
afterAll(() => dir.remove())

function appWith(options: { metrics: boolean; log: Logger }) {
  const store = createSqliteStore(join(dir.path, `${crypto.randomUUID()}.db`))
  const app = createApp({ store, log: options.log, console: false, metrics: options.metrics ? { registry: createMetrics(), token: TOKEN } : null })
  const send = (path: string, init?: RequestInit) => app.serveRequest(new Request(`http://localhost${path}`, init))
  return { app, store, send }
}

const capture = () => {
  const lines: Record<string, unknown>[] = []
  const log: Logger = { info: (msg, fields) => lines.push({ msg, ...fields }), warn() {}, error() {}, enabled: (level) => level !== 'debug' }
  return { lines, log }
}

describe('X-Request-Id', () => {
  const { send } = appWith({ metrics: false, log: silentLogger })
  test.each([
    ['a', true],
    ['req-1.2_3:4', true],
    ['x'.repeat(128), true],
    ['x'.repeat(129), false],
    ['', false],
    ['has space', false],
    ['semi;colon', false],
    ['ünï', false],
  ])('%p kept: %p', async (given, kept) => {
    const response = await send('/healthz', { headers: { 'x-request-id': given } })
    const echoed = response.headers.get('x-request-id')!
    if (kept) expect(echoed).toBe(given)
    else expect(echoed).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  })
  test('made when absent, different each time, on errors too, with metrics and logs off', async () => {
    const a = (await send('/healthz')).headers.get('x-request-id')
    const b = (await send('/nothing-here')).headers.get('x-request-id')
    expect(a).toBeString()
    expect(b).toBeString()
    expect(a).not.toBe(b)
  })
})

describe('/metrics in process', () => {
  test('absent without a token: 404 like any unknown route', async () => {
    const { send } = appWith({ metrics: false, log: silentLogger })
    const response = await send('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(response.status).toBe(404)
  })

  test('401 for no token, another scheme, a prefix, a longer token; 200 for the token', async () => {
    const { send } = appWith({ metrics: true, log: silentLogger })
    for (const authorization of [undefined, `Basic ${TOKEN}`, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}0`, 'Bearer ']) {
      const response = await send('/metrics', { headers: authorization === undefined ? {} : { authorization } })
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ code: 'UNAUTHORIZED' })
    }
    const ok = await send('/metrics', { headers: { authorization: `bearer ${TOKEN}` } })
    expect(ok.status).toBe(200)
    expect(await ok.text()).toContain('# TYPE ground_console_http_requests_total counter')
  })

  test('labels stay bounded: route patterns, never raw paths', async () => {
    const { send } = appWith({ metrics: true, log: silentLogger })
    for (let i = 0; i < 20; i++) await send(`/random/${crypto.randomUUID()}`)
    await send('/api/missions/mis-123', { method: 'GET' })
    await send('/api/missions/mis-456', { method: 'GET' })
    const text = await (await send('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).text()
    expect(text).toContain('ground_console_http_requests_total{route="unmatched",method="GET",status="404"} 20')
    expect(text).toContain('ground_console_http_requests_total{route="/api/missions/:id",method="GET",status="401"} 2')
    expect(text).not.toContain('mis-123')
  })
})

describe('request lines in process', () => {
  test('one line per request, route pattern, path without query; none from app.handle (the console\'s in-process calls)', async () => {
    const { lines, log } = capture()
    const { app, send } = appWith({ metrics: false, log })
    await send('/api/missions/mis-1?api_key=very-secret-value', { headers: { 'x-request-id': 'q-1' } })
    await app.handle(new Request('http://localhost/healthz'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ msg: 'request', method: 'GET', route: '/api/missions/:id', path: '/api/missions/mis-1', status: 401, request_id: 'q-1' })
    expect(JSON.stringify(lines)).not.toContain('very-secret-value')
  })

  test('above info: no line, and still the id', async () => {
    const lines: unknown[] = []
    const log: Logger = { info: (msg) => lines.push(msg), warn() {}, error() {}, enabled: (level) => level === 'warn' || level === 'error' }
    const { send } = appWith({ metrics: false, log })
    expect((await send('/healthz', { headers: { 'x-request-id': 'w-1' } })).headers.get('x-request-id')).toBe('w-1')
    expect(lines).toHaveLength(0)
  })
})

describe('a console page\'s in-process API calls', () => {
  test('at debug: lines of their own, internal: true, with the page\'s request id; the page\'s line names its user', async () => {
    const lines: Record<string, unknown>[] = []
    const log: Logger = {
      info: (msg, fields) => lines.push({ level: 'info', msg, ...fields }),
      debug: (msg, fields) => lines.push({ level: 'debug', msg, ...fields }),
      warn() {},
      error() {},
      enabled: () => true,
    }
    const store = createSqliteStore(join(dir.path, `${crypto.randomUUID()}.db`))
    const app = createApp({ store, log, password: TEST_PASSWORD_OPTIONS })
    const user = await app.services.auth.createUser({ email: 'page@x.y', password: 'page-password-1', role: 'admin' })
    const login = await app.handle(new Request('http://localhost/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'page@x.y', password: 'page-password-1' }) }))
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const page = await app.serveRequest(new Request('http://localhost/', { headers: { cookie, accept: 'text/html', 'x-request-id': 'page-9' } }))
    expect(page.status).toBe(200)
    const mine = lines.filter((l) => l.request_id === 'page-9')
    const pageLines = mine.filter((l) => l.msg === 'request')
    expect(pageLines).toHaveLength(1)
    expect(pageLines[0]).toMatchObject({ level: 'info', route: '/', status: 200, user_id: user.id })
    const internal = mine.filter((l) => l.msg === 'internal request')
    expect(internal.length).toBeGreaterThan(0)
    for (const line of internal) expect(line).toMatchObject({ level: 'debug', internal: true, user_id: user.id })
    expect(internal.map((l) => l.route)).toContain('/api/auth/me')
    store.close()
  })
})
