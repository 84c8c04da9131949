// The timeline model's cost on hostile-but-valid event mixes (docs/console.md: 5 000 events on the server
// page, 20 000 in the browser island), printed as figures: `bun test/bench/timeline.ts`. Before the
// incremental builder, 5 000 transfer.pass_completed in one lane took 161 ms and 20 000 took 1 783 ms
// (every completion scanned every pass of its lane); a linear model stays near the ordinary events' cost.
import { buildTimeline, TimelineBuilder } from '../../src/console/components/timeline-model'

const START = Date.parse('2026-03-07T12:00:00Z')
const at = (s: number) => new Date(START + s * 1000).toISOString()

function best(label: string, run: () => void, rounds = 5) {
  let fastest = Number.POSITIVE_INFINITY
  for (let i = 0; i < rounds; i++) {
    const started = performance.now()
    run()
    fastest = Math.min(fastest, performance.now() - started)
  }
  console.log(`${label.padEnd(60)} ${fastest.toFixed(1)} ms (best of ${rounds})`)
  return fastest
}

const passCompletions = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `c${i}`, event_type: 'transfer.pass_completed', step_id: 'downlink', event_timestamp: at(i), payload: { ground_station: `gs-${i}` } }))
const ordinary = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `s${i}`, event_type: i % 2 ? 'step.completed' : 'step.started', step_id: `step-${Math.floor(i / 2)}`, event_timestamp: at(i), payload: {} }))

const base = best('5 000 ordinary step events (the baseline)', () => buildTimeline(ordinary(5000)))
const passes5k = best('5 000 transfer.pass_completed in one lane', () => buildTimeline(passCompletions(5000)))
const passes20k = best('20 000 transfer.pass_completed in one lane', () => buildTimeline(passCompletions(20000)))
best('20 000 events one at a time, a snapshot every 50 (the island)', () => {
  const builder = new TimelineBuilder()
  for (let i = 0; i < 20_000; i++) {
    const type = i % 4 === 0 ? 'transfer.pass_started' : i % 4 === 1 ? 'transfer.pass_completed' : i % 4 === 2 ? 'step.started' : 'step.completed'
    builder.add({ event_type: type, step_id: i % 4 < 2 ? 'down' : `s${i >> 2}`, event_timestamp: at(i), payload: { ground_station: `gs-${i % 7}` } })
    if (i % 50 === 0) builder.snapshot()
  }
  builder.snapshot()
})
console.log(`ratios: 5 000 passes ${(passes5k / base).toFixed(2)}× the baseline; 20 000 passes / 5 000 passes ${(passes20k / passes5k).toFixed(2)}× (linear: 4×, quadratic: 16×)`)
