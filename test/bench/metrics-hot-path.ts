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
