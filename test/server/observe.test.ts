// Metrics and request logs of the real process (docs/operations.md): GET /metrics behind its token, one
// JSON line per request with its route pattern and principal, X-Request-Id kept or made and echoed, the
// console's in-process API calls inside their page's line, and — over a whole run that logs in, changes
// the password, makes a key, reports with it, fails a login and opens a stream — not one secret it used
// anywhere in the process's stdout or stderr.
import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { SseReader } from '../streams/sse'
import { ADMIN, startServer } from './process'

const METRICS_TOKEN = 'scrape-token-Qm9vLXRva2VuLTEyMw'
const NEW_PASSWORD = 'a-brand-new-pass-77f3'
const WRONG_PASSWORD = 'not-the-password-9c1e'

type Line = { msg: string; level: string; method?: string; route?: string; path?: string; status?: number; duration_ms?: number; request_id?: string; user_id?: string; agent_id?: string; stream?: boolean }

describe('metrics and request logs of the real process', () => {
  test('a full run: lines, ids, metrics, and no secret in the whole output', async () => {
    const dir = tempDir()
    const server = await startServer({ db: join(dir.path, 'gc.db'), args: ['--metrics-token', METRICS_TOKEN] })
    const secrets: string[] = [ADMIN.password, NEW_PASSWORD, WRONG_PASSWORD, METRICS_TOKEN]
    let sent = 0
    const call = (path: string, init: RequestInit & { json?: unknown } = {}) => {
      sent++
      const headers = new Headers(init.headers)
      if (init.json !== undefined) headers.set('content-type', 'application/json')
      return fetch(`${server.url}${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body })
    }
    try {
      const login = await call('/api/auth/login', { method: 'POST', json: ADMIN, headers: { 'x-request-id': 'login-1' } })
      expect(login.status).toBe(200)
      expect(login.headers.get('x-request-id')).toBe('login-1')
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!
      const token = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
      secrets.push(token, token.slice(token.indexOf('.') + 1))
      const userId = ((await login.json()) as { user: { id: string } }).user.id

      const changed = await call('/api/auth/password', { method: 'POST', json: { current_password: ADMIN.password, new_password: NEW_PASSWORD }, headers: { cookie } })
      expect(changed.status).toBe(204)
      const created = await call('/api/keys', { method: 'POST', json: { name: 'agent' }, headers: { cookie } })
      expect(created.status).toBe(201)
      const key = ((await created.json()) as { key: string }).key
      secrets.push(key)
      const asKey = { 'x-api-key': key }
      const mission = (await (await call('/api/missions', { method: 'POST', json: { name: 'Obs' }, headers: asKey })).json()) as { id: string }
      const plan = (await (
        await call('/api/plans', { method: 'POST', json: { mission_id: mission.id, label: 'p', satellite_id: 'sat-1', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, headers: { authorization: `Bearer ${key}` } })
      ).json()) as { id: string }
      const deployment = (await (await call('/api/deployments', { method: 'POST', json: { plan_id: plan.id, mode: 'live' }, headers: asKey })).json()) as { id: string }
      const asAgent = { ...asKey, 'x-agent-id': 'sat-25544' }

      // The stream first, so that it sees the reports; its line comes when it ends.
      const streamResponse = await call(`/api/deployments/${deployment.id}/events/stream`, { headers: { ...asKey, 'x-request-id': 'stream-1' } })
      expect(streamResponse.status).toBe(200)
      const sse = new SseReader(streamResponse)
      const event = { type: 'step.progress', timestamp: '2026-03-07T12:00:00Z', payload: { n: 1 } }
      const path = `/api/deployments/${deployment.id}/events`
      expect((await call(path, { method: 'POST', json: event, headers: { ...asAgent, 'idempotency-key': 'r-1', 'x-request-id': 'report-1' } })).status).toBe(201)
      // A retry of the same report: recognised, not stored again.
      expect((await call(path, { method: 'POST', json: event, headers: { ...asAgent, 'idempotency-key': 'r-1' } })).status).toBe(200)
      expect((await call(`${path}/batch`, { method: 'POST', json: { events: [{ ...event, payload: { n: 2 } }, { ...event, payload: { n: 3 } }] }, headers: asAgent })).status).toBe(200)
      for (;;) {
        const message = await sse.next()
        if (message?.id === '3') break
      }
      sse.cancel()

      const failed = await call('/api/auth/login', { method: 'POST', json: { email: ADMIN.email, password: WRONG_PASSWORD } })
      expect(failed.status).toBe(401)
      // A secret in a query string is never logged: the path is logged without its query.
      const queried = await call(`/api/missions?limit=5&note=${encodeURIComponent(key)}`, { headers: asKey })
      expect(queried.status).toBeLessThan(500)
      // An X-Request-Id that is not 1–128 of [A-Za-z0-9._:-] is replaced by a new one.
      const badId = await call('/healthz', { headers: { 'x-request-id': 'has space' } })
      expect(badId.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
      const tooLong = await call('/healthz', { headers: { 'x-request-id': 'a'.repeat(129) } })
      expect(tooLong.headers.get('x-request-id')).not.toBe('a'.repeat(129))
      expect((await call('/no/such/route', { headers: { 'x-request-id': 'missing-1' } })).headers.get('x-request-id')).toBe('missing-1')
      // A console page: its in-process calls to the API are not lines of their own.
      const page = await call('/', { headers: { cookie, accept: 'text/html', 'x-request-id': 'page-1' } })
      expect(page.status).toBe(200)

      expect((await call('/metrics')).status).toBe(401)
      const wrong = await call('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })
      expect(wrong.status).toBe(401)
      expect(await wrong.json()).toMatchObject({ code: 'UNAUTHORIZED' })
      const scrape = await call('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
      expect(scrape.status).toBe(200)
      expect(scrape.headers.get('content-type')).toStartWith('text/plain')
      const text = await scrape.text()
      const value = (series: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`${series} `))
        return line === undefined ? undefined : Number(line.slice(series.length + 1))
      }
      expect(value('ground_console_http_requests_total{route="/api/deployments/:id/events",method="POST",status="201"}')).toBe(1)
      expect(value('ground_console_http_requests_total{route="/api/deployments/:id/events",method="POST",status="200"}')).toBe(1)
      expect(value('ground_console_http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(1)
      expect(value('ground_console_http_request_duration_seconds_count{route="/api/deployments/:id/events"}')).toBe(2)
      // Raw paths never become labels.
      expect(text).not.toContain(deployment.id)
      expect(value('ground_console_events_stored_total')).toBe(3)
      expect(value('ground_console_event_retries_total')).toBe(1)
      expect(value('ground_console_group_commit_events_sum')).toBe(4)
      expect(value('ground_console_wal_flush_duration_seconds_count')).toBeGreaterThan(0)
      // One deployment, in one status; every status is a series, none left out.
      const statuses = ['pending', 'dispatched', 'running', 'completed', 'failed', 'cancelled'].map((status) => value(`ground_console_deployments{status="${status}"}`))
      expect(statuses.every((n) => n === 0 || n === 1)).toBe(true)
      expect(statuses.reduce((a, b) => a! + b!, 0)).toBe(1)
      expect(value('ground_console_agents{status="idle"}')).toBe(1)
      expect(value('ground_console_stream_subscribers')).toBe(0)
      expect(value('ground_console_database_bytes')).toBeGreaterThan(0)
      expect(value('ground_console_wal_bytes')).toBeGreaterThanOrEqual(0)
    } finally {
      await server.stop()
      dir.remove()
    }

    const output = server.stdout() + server.stderr()
    for (const secret of secrets) expect(output.includes(secret), `a secret of ${secret.length} characters appears in the output`).toBe(false)

    const lines = server.stderr().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line)
    const requests = lines.filter((l) => l.msg === 'request' || l.msg === 'stream ended')
    // One line per request sent, no more: the console page's API calls are inside its own line.
    expect(requests).toHaveLength(sent)
    for (const line of requests) {
      expect(line.level).toBe('info')
      expect(typeof line.duration_ms).toBe('number')
      expect(line.path).not.toContain('?')
    }
    const byId = (id: string) => requests.find((l) => l.request_id === id)!
    expect(byId('login-1')).toMatchObject({ method: 'POST', route: '/api/auth/login', status: 200 })
    expect(byId('report-1')).toMatchObject({ route: '/api/deployments/:id/events', status: 201, agent_id: 'sat-25544' })
    expect(byId('report-1').user_id).toBeString()
    expect(byId('stream-1')).toMatchObject({ msg: 'stream ended', route: '/api/deployments/:id/events/stream', status: 200, stream: true })
    expect(byId('missing-1')).toMatchObject({ route: 'unmatched', status: 404, path: '/no/such/route' })
    expect(byId('page-1')).toMatchObject({ route: '/', status: 200 })
    expect(byId('page-1').user_id).toBe(byId('report-1').user_id)
  }, 60_000)

  test('without --metrics-token, /metrics is an unknown route; at --log-level warn no request lines', async () => {
    const dir = tempDir()
    const server = await startServer({ db: join(dir.path, 'gc.db'), args: ['--log-level', 'warn'] })
    try {
      const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({ code: 'NOT_FOUND' })
      expect(response.headers.get('x-request-id')).toBeString()
    } finally {
      await server.stop()
      dir.remove()
    }
    expect(server.stderr()).not.toContain('"msg":"request"')
  }, 30_000)
})
