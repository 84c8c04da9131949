// npm run bench: figures for ingestion and reads against a baseline measured in the same run, on this
// machine, over 127.0.0.1 only, with bounded durations, then the hostile-input stalls (test/bench/hostile.ts).
// It prints figures; it asserts nothing. BENCH_ONLY (one part, or a comma list) runs parts alone: hostile the hostile input,
// BENCH_ONLY=ingest runs the single-event and batch rows alone, BENCH_ONLY=reads the reads on a big
// deployment alone (pages, cursor, filtered total, export: test/bench/queries.ts), BENCH_ONLY=streams the
// streams (test/bench/streams.ts), BENCH_ONLY=postgres the PostgreSQL rows (test/bench/postgres.ts), which
// every full run ends with when PostgreSQL is installed.
import autocannon from 'autocannon'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { hostileInput } from './hostile'
import { streamFanOut } from './streams'
import { cursorTo, filteredTotalAndExport, readersAgainstReports } from './queries'
import { postgresRows, type SqliteFigures } from './postgres'
import { postgresAvailable } from '../pg-cluster'
import { ingestRows, rssMb } from './ingest'

const ROOT = join(import.meta.dir, '../..')
/** BENCH_BINARY: another build to measure (an earlier commit's, say); the default is this tree's. */
const BINARY = process.env.BENCH_BINARY ?? join(ROOT, 'dist/ground-console')
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = 50
const BIG_DEPLOYMENT_EVENTS = Number(process.env.BENCH_BIG_EVENTS ?? 1_000_000)
const ADMIN = { email: 'bench@localhost', password: 'bench-password' }
const dir = mkdtempSync(join(tmpdir(), 'gc-bench-'))
const rows: Array<[string, string, string]> = []
const record = (what: string, figure: string, note = '') => {
  rows.push([what, figure, note])
  console.log(`  ${what}: ${figure}${note ? `  (${note})` : ''}`)
}

type Proc = { proc: Subprocess; url: string }

let started = 0
/**
 * Starts a server with its output in a file of the bench's folder (as a service manager takes it), never a
 * pipe this process reads: reading every request's log line here would take the load generator's core.
 */
async function start(command: string[], pattern: RegExp, env: Record<string, string> = {}): Promise<Proc & { ms: number }> {
  const began = performance.now()
  const output = join(dir, `server-${started++}.log`)
  const proc = Bun.spawn(command, { cwd: dir, env: { ...process.env, ...env }, stdout: Bun.file(output), stderr: Bun.file(output) })
  let url: string | undefined
  while (!(url = pattern.exec(readFileSync(output, 'utf8').slice(0, 64 * 1024))?.[1])) {
    if (proc.exitCode !== null) throw new Error(`failed to start: ${readFileSync(output, 'utf8')}`)
    await Bun.sleep(1)
  }
  if (!url.startsWith('http')) url = `http://127.0.0.1:${url}`
  // Up means answering: poll /healthz until the first 200.
  while ((await fetch(`${url}/healthz`).catch(() => null))?.status !== 200) await Bun.sleep(1)
  return { proc, url, ms: performance.now() - began }
}


async function load(options: autocannon.Options, pid?: number) {
  let peak = 0
  const sampler = pid ? setInterval(() => (peak = Math.max(peak, rssMb(pid))), 200) : undefined
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options })
  clearInterval(sampler)
  const ok = result['2xx']
  if (result.non2xx || result.errors) console.log(`    (non-2xx ${result.non2xx}, errors ${result.errors})`)
  return { perSecond: ok / (result.duration || SECONDS), p50: result.latency.p50, p99: result.latency.p99, peakRss: peak }
}

async function api(url: string, method: string, path: string, body: unknown, headers: Record<string, string>) {
  const reply = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  if (reply.status >= 300) throw new Error(`${path}: ${reply.status} ${await reply.text()}`)
  return reply
}

let counter = 0
const BASE_MS = Date.parse('2026-03-07T12:00:00Z')
// Events carry increasing mission timestamps (1 ms apart), as a satellite's reports do.
const uniqueEvent = () => ({ type: 'step.progress', timestamp: new Date(BASE_MS + counter).toISOString(), job_id: 'bench', step_id: 'inference', payload: { n: counter++, percent: 50, note: 'steady state' } })

async function main() {
  console.log(`Ground Console benchmark — ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${SECONDS} s runs, ${CONNECTIONS} connections, 127.0.0.1`)
  const db = join(dir, 'bench.db')
  const env = { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password }
  const listening = /"msg":"listening","url":"([^"]+)"/

  // Start-up: the first start creates and migrates the database and hashes the admin password; the
  // second is the everyday case.
  const first = await start([BINARY, '--port', '0', '--db', db], listening, env)
  record('start-up to first 200, new database', `${first.ms.toFixed(0)} ms`, 'includes argon2id of the first admin')
  first.proc.kill('SIGTERM')
  await first.proc.exited
  const server = await start([BINARY, '--port', '0', '--db', db], listening, env)
  record('start-up to first 200, existing database', `${server.ms.toFixed(0)} ms`, 'target ≤ 100 ms')
  await Bun.sleep(1000)
  record('RSS idle', `${rssMb(server.proc.pid).toFixed(1)} MB`, 'target ≤ 60 MB')

  const login = await api(server.url, 'POST', '/api/auth/login', ADMIN, {})
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!
  const key = ((await (await api(server.url, 'POST', '/api/keys', { name: 'bench' }, { cookie })).json()) as { key: string }).key
  const asKey = { 'x-api-key': key }
  const mission = ((await (await api(server.url, 'POST', '/api/missions', { name: 'bench' }, asKey)).json()) as { id: string }).id
  const plan = ((await (await api(server.url, 'POST', '/api/plans', { mission_id: mission, label: 'b', satellite_id: 'bench', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, asKey)).json()) as { id: string }).id
  const deployment = async () => ((await (await api(server.url, 'POST', '/api/deployments', { plan_id: plan, mode: 'live' }, asKey)).json()) as { id: string }).id
  const agentHeaders = { ...asKey, 'x-agent-id': 'sat-bench', 'content-type': 'application/json' }

  // One part, or several separated by commas (BENCH_ONLY=ingest,reads,postgres: the PostgreSQL rows beside
  // the SQLite figures they are compared with).
  const parts = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null
  const wants = (part: string) => parts === null || parts.has(part)
  /** The SQLite figures the PostgreSQL rows are put beside. */
  const sqlite: SqliteFigures = {}
  if (wants('ingest')) {
    const figures = await ingestRows({ url: server.url, pid: server.proc.pid, agentHeaders, deployment, start, dir, seconds: SECONDS, connections: CONNECTIONS, record })
    if (figures) Object.assign(sqlite, { single: figures.single, batch: figures.batch })
  }
  if (wants('reads')) {
    console.log(`reads on one deployment holding ${BIG_DEPLOYMENT_EVENTS.toLocaleString('en')} events`)
    const big = await deployment()
    const fill = performance.now()
    const batches = Math.ceil(BIG_DEPLOYMENT_EVENTS / 500)
    const fillBody = () => JSON.stringify({ events: Array.from({ length: 500 }, uniqueEvent) })
    await autocannon({ url: `${server.url}/api/deployments/${big}/events/batch`, method: 'POST', headers: agentHeaders, connections: 8, amount: batches, requests: [{ setupRequest: (r) => ({ ...r, body: fillBody() }) }] })
    const total = ((await (await fetch(`${server.url}/api/deployments/${big}/events?limit=1`, { headers: asKey })).json()) as { total: number }).total
    record('fill with batches of 500', `${total.toLocaleString('en')} events in ${((performance.now() - fill) / 1000).toFixed(1)} s`)
    const middle = Math.floor(total / 2)
    const cursor = await cursorTo(server.url, big, asKey, middle)
    const pages = [['first page (100)', ''], [`cursor page at ${middle.toLocaleString('en')}`, `?cursor=${cursor}`], [`offset=${middle}`, `?offset=${middle}`]] as const
    const p99s: number[] = []
    for (const [name, query] of pages) {
      const url = `${server.url}/api/deployments/${big}/events${query}`
      // Latency of one client paging at a steady 100 requests/s (autocannon fires rate-limited connections
      // in lockstep, so more connections here would measure their own queue, not the server).
      const steady = await load({ url, headers: asKey, duration: Math.min(SECONDS, 5), connections: 1, overallRate: 100 })
      p99s.push(steady.p99)
      if (name.startsWith('first')) sqlite.firstPageP99 = steady.p99
      else if (name.startsWith('cursor')) sqlite.cursorPageP99 = steady.p99
      const ratio = p99s.length > 1 ? `p99 ${(steady.p99 / Math.max(p99s[0]!, 1)).toFixed(2)}× the first page's; ` : ''
      record(`GET …/events ${name}, one client at 100 req/s`, `p50 ${steady.p50} ms, p99 ${steady.p99} ms`, `${ratio}${name.startsWith('offset') ? '' : 'target p99 ≤ 10 ms'}`)
      // Saturated: 50 connections as fast as they go; latency here is mostly waiting in line.
      const saturated = await load({ url, headers: asKey, duration: Math.min(SECONDS, 5) })
      record(`GET …/events ${name}, saturated`, `${saturated.perSecond.toFixed(0)} req/s`, `p50 ${saturated.p50} ms, p99 ${saturated.p99} ms`)
    }
    // The first page against the least a server can do for it, on the same file (test/bench/read-baseline.ts).
    const bare = await start([process.execPath, join(ROOT, 'test/bench/read-baseline.ts'), db], /listening (\d+)/)
    const barePage = await load({ url: `${bare.url}/${big}`, duration: Math.min(SECONDS, 5) })
    bare.proc.kill()
    const oursPage = await load({ url: `${server.url}/api/deployments/${big}/events`, headers: asKey, duration: Math.min(SECONDS, 5) })
    record('baseline: Bun.serve + one prepared SELECT … LIMIT 100 + JSON.stringify, saturated', `${barePage.perSecond.toFixed(0)} req/s`, `p50 ${barePage.p50} ms, p99 ${barePage.p99} ms`)
    record('first page ratio ground-console / baseline (saturated, measured again just after it)', `${(oursPage.perSecond / barePage.perSecond).toFixed(2)}×`, `${oursPage.perSecond.toFixed(0)} req/s; target ≥ 0.8×`)
    await readersAgainstReports({ url: server.url, asKey, deployment: big, offset: middle, cookie, record })
    // The export's memory is measured on a second server just started on the same file: what it adds to
    // an idle server, not to one that has just served the rows above.
    const fresh = await start([BINARY, '--port', '0', '--db', db], listening, env)
    await filteredTotalAndExport({ url: fresh.url, asKey, deployment: big, total, pid: fresh.proc.pid, record, rssMb })
    fresh.proc.kill('SIGTERM')
    await fresh.proc.exited
    record('RSS after the reads', `${rssMb(server.proc.pid).toFixed(1)} MB`)
  }

  if (wants('streams')) await streamFanOut({ url: server.url, pid: server.proc.pid, asKey, agentHeaders, deployment, record })
  if (wants('hostile')) {
    await hostileInput({ url: server.url, asKey, agentHeaders, missionId: mission, deployment, record })
    record('RSS after the hostile input', `${rssMb(server.proc.pid).toFixed(1)} MB`)
  }

  server.proc.kill('SIGTERM')
  await server.proc.exited
  if (wants('postgres')) {
    if (postgresAvailable() && !process.env.GC_TEST_PG_URL)
      await postgresRows({ binary: BINARY, env, admin: ADMIN, seconds: SECONDS, connections: CONNECTIONS, bigEvents: BIG_DEPLOYMENT_EVENTS, start, record, sqlite, uniqueEvent, cursorTo })
    else console.log('SKIPPED: the PostgreSQL rows — no PostgreSQL binaries here (install Debian’s postgresql)')
  }
  console.log('\n| measure | figure | note |\n|---|---|---|')
  for (const [what, figure, note] of rows) console.log(`| ${what} | ${figure} | ${note} |`)
}

main()
  .catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }))
