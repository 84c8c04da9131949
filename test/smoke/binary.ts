// Smoke test of the compiled binary, as an operator would use it: copied alone into an empty directory,
// started on a free port with its default database, then health, login with the first-run password
// (written beside the database, since stdout is a pipe here), a key, a deployment, an event reported and
// listed back, the request-head and query limits (docs/http.md: Bun's header limit is raised inside the
// binary), and a clean stop.
// Then the same binary as two nodes on a throwaway PostgreSQL cluster, when PostgreSQL is installed.
// Run: bun test/smoke/binary.ts dist/ground-console   (also called by test/server/binary.test.ts)
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { JSON_TYPE, probeHeadLimits } from './http-limits'
import { healthOf } from '../../src/routes/health'
import { SCHEMA_VERSION } from '../../src/store/sqlite/db/migrations'
import { PG_SCHEMA_VERSION } from '../../src/store/postgres/db/migrations'
import { postgresAvailable, startPgCluster } from '../pg-cluster'

/** What an embedded SQLite server answers at GET /healthz. */
const HEALTH = healthOf(SCHEMA_VERSION)

export async function smokeTestBinary(binaryPath: string, log: (line: string) => void = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gc-smoke-'))
  const binary = join(dir, 'ground-console')
  copyFileSync(resolve(binaryPath), binary)
  const env = { ...process.env }
  for (const name of ['ADMIN_EMAIL', 'ADMIN_PASSWORD', 'DATABASE_PATH', 'PORT', 'HOST']) delete env[name]
  const proc = Bun.spawn([binary, '--port', '0'], { cwd: dir, env, stdout: 'pipe', stderr: 'pipe' })
  const out = { stdout: '', stderr: '' }
  const pump = async (stream: ReadableStream<Uint8Array>, key: 'stdout' | 'stderr') => {
    for await (const chunk of stream) out[key] += new TextDecoder().decode(chunk)
  }
  void pump(proc.stdout, 'stdout')
  void pump(proc.stderr, 'stderr')
  const started = performance.now()
  try {
    let url: string | undefined
    while (!(url = /"msg":"listening","url":"([^"]+)"/.exec(out.stderr)?.[1])) {
      if (proc.exitCode !== null || performance.now() - started > 15_000) throw new Error(`binary did not start:\n${out.stderr}`)
      await Bun.sleep(5)
    }
    log(`listening at ${url} after ${Math.round(performance.now() - started)} ms`)
    const health = await fetch(`${url}/healthz`)
    check(health.status === 200 && (await health.text()) === JSON.stringify(HEALTH), `GET /healthz answers ${JSON.stringify(HEALTH)}`)
    const loginReply = await fetch(`${url}/login`)
    const loginPage = await loginReply.text()
    check(loginReply.status === 200 && loginPage.includes('name="password"'), 'GET /login serves the console\'s login page')
    const script = /src="(\/assets\/console\.js\?v=[a-z0-9]+)"/.exec(loginPage)?.[1]
    const bundle = script ? await fetch(`${url}${script}`) : null
    check(bundle?.status === 200 && (await bundle.text()).length > 5_000, 'the console\'s browser bundle is embedded in the binary')
    const reference = await fetch(`${url}/openapi.json`)
    const document = reference.status === 200 ? ((await reference.json()) as { openapi?: string; paths?: Record<string, unknown> }) : null
    check(document?.openapi === '3.1.0' && Object.keys(document.paths ?? {}).length > 20, 'GET /openapi.json serves the OpenAPI 3.1 document of the routes')
    const docsPage = await fetch(`${url}/docs`)
    check(docsPage.status === 200 && (await docsPage.text()).includes('/api/deployments/{id}/events'), 'GET /docs serves the reference page')
    check(existsSync(join(dir, 'data/ground-console.db')), 'the database was created under ./data')
    check((statSync(join(dir, 'data/ground-console.db')).mode & 0o077) === 0, 'the database file is not readable by others')
    const passwordFile = join(dir, 'data/initial-admin-password')
    check(existsSync(passwordFile) && (statSync(passwordFile).mode & 0o777) === 0o600, 'first start writes the admin password to data/initial-admin-password (0600)')
    const password = readFileSync(passwordFile, 'utf8').trim()
    check(password.length >= 20 && !out.stdout.includes(password) && !out.stderr.includes(password), 'the password is in no output')

    const json = async (method: string, path: string, body: unknown, headers: Record<string, string>, expected: number) => {
      const reply = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) })
      const text = await reply.text()
      check(reply.status === expected, `${method} ${path} → ${expected} (got ${reply.status} ${text.slice(0, 200)})`)
      return { reply, body: JSON.parse(text) }
    }
    const login = await json('POST', '/api/auth/login', { email: 'admin@localhost', password }, {}, 200)
    const cookie = login.reply.headers.get('set-cookie')!.split(';')[0]!
    const key = (await json('POST', '/api/keys', { name: 'smoke' }, { cookie }, 201)).body.key as string
    const asKey = { 'x-api-key': key }
    const mission = (await json('POST', '/api/missions', { name: 'Smoke' }, asKey, 201)).body.id
    const plan = (await json('POST', '/api/plans', { mission_id: mission, label: 'p', satellite_id: '25544', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, asKey, 201)).body.id
    const deployment = (await json('POST', '/api/deployments', { plan_id: plan, mode: 'live' }, asKey, 201)).body.id
    const event = { type: 'job.completed', timestamp: '2026-03-07T12:00:00Z', job_id: deployment, payload: { status: 'success' } }
    const created = (await json('POST', `/api/deployments/${deployment}/events`, event, { ...asKey, 'x-agent-id': 'sat-25544' }, 201)).body.id
    const page = (await json('GET', `/api/deployments/${deployment}/events`, undefined, asKey, 200)).body
    check(page.total === 1 && page.events[0].id === created && page.events[0].payload.status === 'success', 'the event is listed back')
    const dep = (await json('GET', `/api/deployments/${deployment}`, undefined, asKey, 200)).body
    check(dep.status === 'completed', 'job.completed completed the deployment')
    // Elysia tells hooks the route only if it sees them read it: the minified build must keep that.
    check(out.stderr.includes('"route":"/api/deployments/:id/events","path":'), 'request lines name the route pattern (docs/operations.md)')
    const repeated = (await json('GET', `/api/deployments/${deployment}/events?limit=1&limit=2`, undefined, asKey, 400)).body
    check(repeated.code === 'VALIDATION' && repeated.error.startsWith('limit:'), 'a repeated query parameter is a 400 naming it')
    const seen = await probeHeadLimits(url)
    const isJson431 = (reply: { status: number | null; contentType: string | null; body: string }) =>
      reply.status === 431 && reply.contentType === JSON_TYPE && JSON.parse(reply.body).code === 'BAD_REQUEST'
    check(seen.atLimit.status === 200, `64 KiB of request line and headers is served (got ${seen.atLimit.status})`)
    for (const name of ['overLimit', 'path70k', 'headers200k', 'head256k', 'head320k'] as const)
      check(isJson431(seen[name]), `${name} → JSON 431 (got ${seen[name].status} ${seen[name].body.slice(0, 100)})`)
    check(seen.path60k.status === 404 && seen.path60k.contentType === JSON_TYPE, 'a 60 000-character path is routed (JSON 404)')
    check(seen.headers1m.status === 431 || seen.headers1m.closed === 'reset', '1 MiB of headers: a 431 or a closed connection')
    check(seen.healthAfter.status === 200 && proc.exitCode === null, 'the binary still answers /healthz after 1 MiB of headers')
    check(!out.stderr.includes('max-http-header-size'), 'the binary does not warn about its header limit')
    proc.kill('SIGTERM')
    check((await proc.exited) === 0, 'SIGTERM stops it cleanly (exit 0)')
    log('binary smoke test passed')
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

function check(ok: boolean, what: string) {
  if (!ok) throw new Error(`smoke check failed: ${what}`)
}

/**
 * The same binary as two nodes on one PostgreSQL database (docs/postgres.md), on a throwaway cluster of this
 * machine: both migrate (once, under the lock) and answer with the PostgreSQL schema; what one node stores
 * the other reads; both stop cleanly. Skipped, and said so, without PostgreSQL's binaries.
 */
export async function smokeTestBinaryOnPostgres(binaryPath: string, log: (line: string) => void = () => {}) {
  if (!postgresAvailable() || process.env.GC_TEST_PG_URL) return log('SKIPPED: the binary on PostgreSQL — no PostgreSQL binaries here')
  const cluster = startPgCluster()
  const dir = mkdtempSync(join(tmpdir(), 'gc-smoke-pg-'))
  const nodes: Array<{ proc: ReturnType<typeof Bun.spawn>; url: string }> = []
  try {
    await cluster.admin.unsafe('CREATE DATABASE gc_smoke')
    const db = cluster.url('gc_smoke')
    const env: Record<string, string | undefined> = { ...process.env, ADMIN_EMAIL: 'ops@station.test', ADMIN_PASSWORD: 'smoke-test-password' }
    for (const name of ['DATABASE_PATH', 'DATABASE_URL', 'PORT', 'HOST']) delete env[name]
    // Both at once: the migration lock makes one wait for the other.
    const start = async () => {
      const proc = Bun.spawn([resolve(binaryPath), '--port', '0', '--db', db], { cwd: dir, env, stdout: 'pipe', stderr: 'pipe' })
      let stderr = ''
      void (async () => {
        for await (const chunk of proc.stderr) stderr += new TextDecoder().decode(chunk)
      })()
      const began = performance.now()
      let url: string | undefined
      while (!(url = /"msg":"listening","url":"([^"]+)"/.exec(stderr)?.[1])) {
        if (proc.exitCode !== null || performance.now() - began > 20_000) throw new Error(`binary on PostgreSQL did not start:\n${stderr}`)
        await Bun.sleep(5)
      }
      nodes.push({ proc, url })
      return url
    }
    const [a, b] = await Promise.all([start(), start()])
    const health = healthOf(PG_SCHEMA_VERSION)
    for (const url of [a!, b!]) check((await (await fetch(`${url}/healthz`)).text()) === JSON.stringify(health), `GET /healthz on PostgreSQL answers ${JSON.stringify(health)}`)
    const post = async (url: string, path: string, body: unknown, headers: Record<string, string>) => {
      const reply = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
      check(reply.status < 300, `POST ${path} on PostgreSQL → ${reply.status}`)
      return { reply, body: (await reply.json()) as Record<string, any> }
    }
    const login = await post(a!, '/api/auth/login', { email: 'ops@station.test', password: 'smoke-test-password' }, {})
    const cookie = login.reply.headers.get('set-cookie')!.split(';')[0]!
    const asKey = { 'x-api-key': (await post(a!, '/api/keys', { name: 'smoke' }, { cookie })).body.key as string }
    const mission = (await post(b!, '/api/missions', { name: 'Smoke' }, asKey)).body.id
    const plan = (await post(a!, '/api/plans', { mission_id: mission, label: 'p', satellite_id: '25544', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, asKey)).body.id
    const deployment = (await post(b!, '/api/deployments', { plan_id: plan, mode: 'live' }, asKey)).body.id
    // Sent as text: a number past float64 is stored and served digit for digit (docs/api.md §0).
    const reported = await fetch(`${b}/api/deployments/${deployment}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...asKey, 'x-agent-id': 'sat-25544' },
      body: '{"type":"job.completed","timestamp":"2026-03-07T12:00:00Z","payload":{"n":1e400}}',
    })
    check(reported.status === 201, `POST …/events on PostgreSQL → ${reported.status}`)
    const created = ((await reported.json()) as { id: string }).id
    const listed = await (await fetch(`${a}/api/deployments/${deployment}/events`, { headers: asKey })).text()
    check(listed.includes(created) && listed.includes('"n":1e400'), `an event stored through one node is listed by the other, its payload as sent (${created}: ${listed.slice(0, 300)})`)
    for (const node of nodes) node.proc.kill('SIGTERM')
    check((await Promise.all(nodes.map((node) => node.proc.exited))).every((code) => code === 0), 'SIGTERM stops both nodes cleanly (exit 0)')
    log('binary smoke test on PostgreSQL (two nodes) passed')
  } finally {
    for (const node of nodes) if (node.proc.exitCode === null) node.proc.kill('SIGKILL')
    cluster.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const path = process.argv[2] ?? 'dist/ground-console'
  const say = (line: string) => console.log(line)
  smokeTestBinary(path, say)
    .then(() => smokeTestBinaryOnPostgres(path, say))
    .catch((error: Error) => {
      console.error(error.message)
      process.exit(1)
    })
}
