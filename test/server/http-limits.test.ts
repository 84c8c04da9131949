// Request-head and query limits over a real port, against the server started as `npm start` starts it
// (Bun's header limit raised, docs/http.md), and what happens when Bun is started without the flag.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { JSON_TYPE, probeHeadLimits, rawRequest } from '../smoke/http-limits'
import { setUpOperator, startServer, type Running } from './process'
import { healthOf } from '../../src/routes/health'
import { SCHEMA_VERSION } from '../../src/store/sqlite/db/migrations'

/** What an embedded SQLite server answers at GET /healthz. */
const HEALTH = healthOf(SCHEMA_VERSION)

/** {"ok":true} since the contract's first version; the version and schema were added by issue 11 (docs/operations.md). */
const HEALTH_BODY = JSON.stringify(HEALTH)

const dir = tempDir()
let server: Running
beforeAll(async () => {
  server = await startServer({ db: join(dir.path, 'gc.db') })
})
afterAll(async () => {
  await server?.stop()
  dir.remove()
})

const json431 = { status: 431, contentType: JSON_TYPE, body: JSON.stringify({ error: 'the request line and headers are larger than 64 KiB', code: 'BAD_REQUEST' }) }

describe('request heads over a real port', () => {
  test('64 KiB of request line and headers is served; more, up to 256 KiB and beyond, is a JSON 431; 1 MiB never crashes', async () => {
    const seen = await probeHeadLimits(server.url)
    expect(seen.atLimit).toMatchObject({ status: 200, body: HEALTH_BODY })
    expect(seen.overLimit).toMatchObject(json431)
    expect(seen.path60k).toMatchObject({ status: 404, contentType: JSON_TYPE })
    expect(JSON.parse(seen.path60k.body).code).toBe('NOT_FOUND')
    expect(seen.path70k).toMatchObject(json431)
    expect(seen.headers200k).toMatchObject(json431)
    expect(seen.head256k).toMatchObject(json431)
    expect(seen.head320k).toMatchObject(json431)
    // Past Bun's own limit: its bare 431, or a reset while the client still writes. Either way, no crash.
    expect(seen.headers1m.status === 431 || seen.headers1m.closed === 'reset').toBe(true)
    expect(seen.healthAfter).toMatchObject({ status: 200, body: HEALTH_BODY })
    expect(server.proc.exitCode).toBeNull()
    expect(server.stderr()).not.toContain('max-http-header-size')
  })

  test('bad query strings and path parameters are JSON errors over the socket too', async () => {
    const op = await setUpOperator(server.url)
    const headers = [`X-API-Key: ${op.key}`]
    const events = `/api/deployments/${op.deploymentId}/events`
    const cases: Array<[string, number, string]> = [
      [`${events}?limit=1&limit=2`, 400, 'limit: is given more than once (several values go in one comma list)'],
      [`${events}?limit=%ED%A0%80`, 400, 'limit: must be valid percent-encoded UTF-8'],
      [`${events}?limit=%E2%82`, 400, 'limit: must be valid percent-encoded UTF-8'],
      [`${events}?limit=%00`, 400, 'limit: must not contain U+0000'],
      ['/api/deployments/%00', 404, 'deployment not found'],
      ['/api/deployments/%ff', 404, 'deployment not found'],
      ['/api/deployments/%ED%A0%80/events', 404, 'deployment not found'],
    ]
    for (const [target, status, error] of cases) {
      const reply = await rawRequest(server.url, target, headers)
      expect({ target, status: reply.status, contentType: reply.contentType, error: JSON.parse(reply.body).error }).toEqual({ target, status, contentType: JSON_TYPE, error })
    }
    // Raw bytes that are not UTF-8 reach the app as U+FFFD (Bun decodes the target): a JSON answer, never a 500.
    const raw = await rawRequest(server.url, `/api/deployments/\xff\xfe?limit=\xff`, headers)
    expect(raw).toMatchObject({ status: 404, contentType: JSON_TYPE })
  })

  test('unknown routes, wrong methods, OPTIONS and HEAD answer without a 500', async () => {
    const op = await setUpOperator(server.url)
    const headers = [`X-API-Key: ${op.key}`]
    for (const [method, target, status] of [
      ['GET', '/api/nope', 404],
      ['DELETE', '/api/deployments', 404],
      ['PUT', `/api/deployments/${op.deploymentId}`, 404],
      ['OPTIONS', '/api/deployments', 404],
      ['PROPFIND', '/api/deployments', 404],
    ] as const) {
      const reply = await rawRequest(server.url, target, headers, method)
      expect({ method, target, status: reply.status, contentType: reply.contentType, code: JSON.parse(reply.body).code }).toEqual({
        method,
        target,
        status,
        contentType: JSON_TYPE,
        code: 'NOT_FOUND',
      })
    }
    // Request lines Bun's parser refuses never reach the app: its bare 400, or the connection closed.
    for (const [method, target] of [['OPTIONS', '*'], ['get', '/healthz'], ['FOO', '/healthz'], ['GET', 'healthz']] as const)
      expect([400, null]).toContain((await rawRequest(server.url, target, [], method)).status)
    expect((await rawRequest(server.url, '/healthz')).status).toBe(200)
    const head = await rawRequest(server.url, `/api/deployments/${op.deploymentId}`, headers, 'HEAD')
    expect(head).toMatchObject({ status: 200, contentType: JSON_TYPE, body: '' })
    expect(await rawRequest(server.url, '/api/deployments', [], 'HEAD')).toMatchObject({ status: 401, contentType: JSON_TYPE, body: '' })
  })
})

test('started without --max-http-header-size, the server says so: Bun would answer a bare 431 past 16 KiB', async () => {
  const bare = tempDir()
  const plain = await startServer({ db: join(bare.path, 'gc.db'), bunFlags: [] })
  try {
    expect(plain.stderr()).toContain('"level":"warn","msg":"Bun was started without --max-http-header-size=327680')
    expect(await rawRequest(plain.url, `/${'a'.repeat(20_000)}`)).toMatchObject({ status: 431, body: '' })
  } finally {
    await plain.stop()
    bare.remove()
  }
})
