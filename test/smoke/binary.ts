// Smoke test of the compiled binary, as an operator would use it: copied alone into an empty directory,
// started on a free port with its default database, then health, login with the first-run password
// (written beside the database, since stdout is a pipe here), a key, a deployment, an event reported and
// listed back, the request-head and query limits (docs/http.md: Bun's header limit is raised inside the
// binary), and a clean stop.
// Run: bun test/smoke/binary.ts dist/ground-console   (also called by test/server/binary.test.ts)
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { JSON_TYPE, probeHeadLimits } from './http-limits'
import { healthOf } from '../../src/routes/health'
import { SCHEMA_VERSION } from '../../src/store/sqlite/db/migrations'

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

if (import.meta.main) {
  const path = process.argv[2] ?? 'dist/ground-console'
  smokeTestBinary(path, (line) => console.log(line)).catch((error: Error) => {
    console.error(error.message)
    process.exit(1)
  })
}
