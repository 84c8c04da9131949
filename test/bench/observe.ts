// What metrics and request logs cost on the hot path (docs/operations.md): single-event reports
// (POST /api/deployments/:id/events) against the real server from source, with metrics off/on and
// request logs off (--log-level warn) / on (info, stderr to a file, as a supervisor's pipe would take it).
// The four servers take turns, ROUNDS times (each round starting with the next), after a warm-up each; the mean of each counts. Besides
// requests/s (which other load on the machine moves a lot), the server's own CPU time per request is
// reported, from /proc/PID/stat: far less sensitive to what else runs.
// Usage: bun test/bench/observe.ts   (BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_DURABILITY)
import autocannon from 'autocannon'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, START_FLAGS } from '../server/process'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16)
const DURABILITY = process.env.BENCH_DURABILITY ?? 'full'
const ADMIN = { email: 'bench@localhost', password: 'bench-password' }
const TOKEN = 'bench-metrics-token-0123456789'
const dir = mkdtempSync(join(tmpdir(), 'gc-bench-observe-'))

type Variant = { name: string; args: string[] }
const VARIANTS: Variant[] = [
  { name: 'metrics off, logs off', args: ['--log-level', 'warn'] },
  { name: 'metrics on,  logs off', args: ['--log-level', 'warn', '--metrics-token', TOKEN] },
  { name: 'metrics off, logs on ', args: ['--log-level', 'info'] },
  { name: 'metrics on,  logs on ', args: ['--log-level', 'info', '--metrics-token', TOKEN] },
]

async function start(variant: Variant, index: number) {
  const log = join(dir, `server-${index}.log`)
  const proc = Bun.spawn([process.execPath, ...START_FLAGS, join(ROOT, 'src/main.ts'), '--port', '0', '--db', join(dir, `bench-${index}.db`), '--durability', DURABILITY, ...variant.args], {
    cwd: dir,
    env: { ...process.env, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
    stdout: 'ignore',
    stderr: Bun.file(log),
  })
  let url: string | undefined
  while (!(url = /"msg":"listening","url":"([^"]+)"/.exec(readFileSync(log, 'utf8'))?.[1])) {
    if (proc.exitCode !== null) throw new Error(`failed to start: ${readFileSync(log, 'utf8')}`)
    await Bun.sleep(20)
  }
  const api = async (path: string, body: unknown, headers: Record<string, string>) => {
    const reply = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    if (reply.status >= 300) throw new Error(`${path}: ${reply.status} ${await reply.text()}`)
    return reply
  }
  const login = await api('/api/auth/login', ADMIN, {})
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!
  const key = ((await (await api('/api/keys', { name: 'bench' }, { cookie })).json()) as { key: string }).key
  const asKey = { 'x-api-key': key }
  const mission = ((await (await api('/api/missions', { name: 'bench' }, asKey)).json()) as { id: string }).id
  const plan = ((await (await api('/api/plans', { mission_id: mission, label: 'b', satellite_id: 'bench', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, asKey)).json()) as { id: string }).id
  const deployment = ((await (await api('/api/deployments', { plan_id: plan, mode: 'live' }, asKey)).json()) as { id: string }).id
  return { proc, url: `${url}/api/deployments/${deployment}/events`, headers: { ...asKey, 'x-agent-id': 'sat-bench', 'content-type': 'application/json' }, results: [] as number[], cpu: [] as number[] }
}

let counter = 0
const BASE_MS = Date.parse('2026-03-07T12:00:00Z')
const uniqueEvent = () => ({ type: 'step.progress', timestamp: new Date(BASE_MS + counter).toISOString(), job_id: 'bench', step_id: 'inference', payload: { n: counter++, percent: 50, note: 'steady state' } })

/** The process's user + system CPU time so far, in microseconds (clock ticks of 10 ms). */
const cpuMicros = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

async function load(server: Awaited<ReturnType<typeof start>>, duration: number) {
  const cpuBefore = cpuMicros(server.proc.pid)
  const result = await autocannon({
    url: server.url,
    method: 'POST',
    headers: server.headers,
    connections: CONNECTIONS,
    duration,
    requests: [{ setupRequest: (r) => ({ ...r, body: JSON.stringify(uniqueEvent()) }) }],
  })
  if (result.non2xx || result.errors) console.log(`    (non-2xx ${result.non2xx}, errors ${result.errors})`)
  return { perSecond: result['2xx'] / (result.duration || duration), cpuPerRequest: (cpuMicros(server.proc.pid) - cpuBefore) / result.requests.total }
}

console.log(`observe bench — ${cpus().length} × ${cpus()[0]?.model}; ${SECONDS} s runs × ${ROUNDS} rounds, ${CONNECTIONS} connections, --durability ${DURABILITY}`)
const servers = []
for (const [i, variant] of VARIANTS.entries()) servers.push(await start(variant, i))
try {
  for (const server of servers) await load(server, 2)
  for (let round = 0; round < ROUNDS; round++)
    // Each round starts with the next server: none always runs right after the same one.
    for (let k = 0; k < servers.length; k++) {
      const i = (round + k) % servers.length
      const server = servers[i]!
      const { perSecond, cpuPerRequest } = await load(server, SECONDS)
      server.results.push(perSecond)
      server.cpu.push(cpuPerRequest)
      console.log(`  round ${round + 1} ${VARIANTS[i]!.name}: ${perSecond.toFixed(0)} req/s, ${cpuPerRequest.toFixed(1)} µs CPU/request`)
    }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length
  const baseline = mean(servers[0]!.results)
  const baseCpu = mean(servers[0]!.cpu)
  console.log('means (single-event reports):')
  for (const [i, server] of servers.entries()) {
    const perSecond = mean(server.results)
    const cpu = mean(server.cpu)
    console.log(
      `  ${VARIANTS[i]!.name}: ${perSecond.toFixed(0)} req/s (${(((perSecond - baseline) / baseline) * 100).toFixed(1)}%), ${cpu.toFixed(1)} µs CPU/request (${cpu - baseCpu >= 0 ? '+' : ''}${(cpu - baseCpu).toFixed(1)} µs)`,
    )
  }
} finally {
  for (const server of servers) {
    server.proc.kill('SIGTERM')
    await server.proc.exited
  }
  rmSync(dir, { recursive: true, force: true })
}
