// The per-request cost of the request metrics alone (docs/operations.md "Metrics"): prom-client's labelled
// counter increment and histogram observation, as src/metrics.ts makes them, against the least a
// hand-written exposition could do (a Map of counters keyed by the label values, a bucket array per
// route). Usage: bun test/bench/metrics-hot-path.ts
import { createMetrics } from '../../src/metrics'

const N = 2_000_000
const ROUTES = ['/api/deployments/:id/events', '/api/deployments/:id/events/batch', '/api/agent/workloads', '/api/agent/telemetry', '/healthz']
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

function time(name: string, run: (i: number) => void) {
  for (let i = 0; i < N / 10; i++) run(i) // warm-up
  const began = performance.now()
  for (let i = 0; i < N; i++) run(i)
  const ns = ((performance.now() - began) * 1e6) / N
  console.log(`  ${name}: ${ns.toFixed(0)} ns per request`)
  return ns
}

const metrics = createMetrics()
const ours = time('prom-client (src/metrics.ts request())', (i) => metrics.request(ROUTES[i % 5]!, 'POST', 201, 0.0004 + (i % 7) * 0.001))

const counters = new Map<string, { n: number }>()
const histograms = new Map<string, { buckets: Float64Array; sum: number; count: number }>()
const byHand = time('hand-written minimum', (i) => {
  const route = ROUTES[i % 5]!
  const key = `${route} POST 201`
  let counter = counters.get(key)
  if (!counter) counters.set(key, (counter = { n: 0 }))
  counter.n++
  let histogram = histograms.get(route)
  if (!histogram) histograms.set(route, (histogram = { buckets: new Float64Array(BUCKETS.length), sum: 0, count: 0 }))
  const seconds = 0.0004 + (i % 7) * 0.001
  for (let b = 0; b < BUCKETS.length; b++) if (seconds <= BUCKETS[b]!) {
    histogram.buckets[b]!++
    break
  }
  histogram.sum += seconds
  histogram.count++
})
console.log(`  difference: ${(ours - byHand).toFixed(0)} ns per request`)

// The whole observation in process: single-event reports through app.serveRequest, 16 at a time, in
// five apps taking turns — app.handle alone (no observation at all), then metrics off/on × request lines
// off/on (stderr: run with 2>/dev/null). CPU time of this process per request, so that other load on the
// machine moves it less than requests/s.
import { join } from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createApp } from '../../src/app'
import { createStderrLogger } from '../../src/log'
import { createSqliteStore } from '../../src/store/sqlite'

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const dir = mkdtempSync(join(tmpdir(), 'gc-bench-hot-'))
const variants = [
  { name: 'app.handle, nothing observed', metrics: false, level: 'warn' as const, bare: true },
  { name: 'metrics off, logs off', metrics: false, level: 'warn' as const },
  { name: 'metrics on,  logs off', metrics: true, level: 'warn' as const },
  { name: 'metrics off, logs on ', metrics: false, level: 'info' as const },
  { name: 'metrics on,  logs on ', metrics: true, level: 'info' as const },
]
let n = 0
const body = () => JSON.stringify({ type: 'step.progress', timestamp: new Date(Date.parse('2026-03-07T12:00:00Z') + n).toISOString(), payload: { n: n++ } })
const apps = await Promise.all(
  variants.map(async (variant, i) => {
    const store = createSqliteStore(join(dir, `${i}.db`), { durability: 'normal' })
    const app = createApp({ store, log: createStderrLogger(variant.level), metrics: variant.metrics ? { registry: createMetrics(), token: 'x'.repeat(20) } : null, console: false })
    const user = await app.services.auth.createUser({ email: `b${i}@x.y`, password: 'bench-password', role: 'admin' })
    const { key } = await app.services.auth.createKey(user.id, 'bench', 'live', 'full', { at: 0, actorId: user.id, actorEmail: user.email, address: null })
    const call = async (method: string, path: string, json: unknown, headers: Record<string, string> = {}) =>
      (await app.handle(new Request(`http://localhost${path}`, { method, headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers }, body: JSON.stringify(json) }))).json() as Promise<{ id: string }>
    const mission = await call('POST', '/api/missions', { name: 'm' })
    const plan = await call('POST', '/api/plans', { mission_id: mission.id, label: 'p', satellite_id: 's', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } })
    const deployment = await call('POST', '/api/deployments', { plan_id: plan.id, mode: 'live' })
    const url = `http://localhost/api/deployments/${deployment.id}/events`
    const headers = { 'content-type': 'application/json', 'x-api-key': key, 'x-agent-id': 'sat-1' }
    const serve = variant.bare ? (r: Request) => app.handle(r) : (r: Request) => app.serveRequest(r)
    return { variant, store, run: () => serve(new Request(url, { method: 'POST', headers, body: body() })), cpu: [] as number[] }
  }),
)
async function drive(run: () => Promise<Response>, count: number) {
  let left = count
  const worker = async () => {
    while (left-- > 0) {
      const response = await run()
      if (response.status !== 201) throw new Error(`status ${response.status}`)
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
}
console.log(`in process, ${REQUESTS} single-event reports per run, ${ROUNDS} rounds, --durability normal:`)
for (const app of apps) await drive(app.run, 3000)
for (let round = 0; round < ROUNDS; round++)
  for (const app of apps) {
    const before = process.cpuUsage()
    await drive(app.run, REQUESTS)
    const used = process.cpuUsage(before)
    app.cpu.push((used.user + used.system) / REQUESTS)
  }
const base = apps[1]!.cpu.reduce((a, b) => a + b, 0) / ROUNDS
for (const app of apps) {
  const mean = app.cpu.reduce((a, b) => a + b, 0) / ROUNDS
  console.log(`  ${app.variant.name}: ${mean.toFixed(1)} µs CPU per request (${mean - base >= 0 ? '+' : ''}${(mean - base).toFixed(1)} µs against metrics off, logs off; runs ${app.cpu.map((c) => c.toFixed(1)).join(', ')})`)
}
for (const app of apps) app.store.close()
rmSync(dir, { recursive: true, force: true })
