// The micro-benchmarks' shared harness (test/bench/micro/): times an optimisation against the plain code
// it replaces, in the same process, alternating the two over three rounds, and prints ns per operation and
// the ratio plain/trick of each round (above 1: the trick is faster). Short by design: a few seconds a file.

/** Milliseconds each side runs per round (MICRO_MS overrides). */
const MS = Number(process.env.MICRO_MS ?? 200)
const ROUNDS = 3

/** Keeps results alive so that no call is optimised away. */
export let sink = 0
export function keep(value: unknown) {
  sink = (sink + (typeof value === 'string' ? value.length : typeof value === 'number' ? value : 1)) | 0
}

/** ns per call of `run`, run for about `ms` milliseconds. */
function measure(run: () => unknown, ms: number): number {
  let calls = 0
  let batch = 1
  const began = Bun.nanoseconds()
  const until = began + ms * 1e6
  let now = began
  while (now < until) {
    for (let i = 0; i < batch; i++) keep(run())
    calls += batch
    if (batch < 1 << 20) batch *= 2
    now = Bun.nanoseconds()
  }
  return (now - began) / calls
}

export type Figure = { name: string; trickNs: number; plainNs: number; ratios: number[] }
export const figures: Figure[] = []

/**
 * Times `trick` against `plain` (each one call = `ops` operations), after checking they answer the same.
 * Prints each round and returns the median figures per operation.
 */
export function compare(name: string, trick: () => unknown, plain: () => unknown, { ops = 1, ms = MS, same = true } = {}): Figure {
  if (same) {
    const a = JSON.stringify(trick())
    const b = JSON.stringify(plain())
    if (a !== b) throw new Error(`${name}: the trick and the plain version differ:\n  ${a?.slice(0, 300)}\n  ${b?.slice(0, 300)}`)
  }
  measure(trick, ms / 4)
  measure(plain, ms / 4)
  const trickNs: number[] = []
  const plainNs: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so neither always runs on a warmer or a cooler machine.
    if (round % 2 === 0) {
      trickNs.push(measure(trick, ms) / ops)
      plainNs.push(measure(plain, ms) / ops)
    } else {
      plainNs.push(measure(plain, ms) / ops)
      trickNs.push(measure(trick, ms) / ops)
    }
  }
  const ratios = trickNs.map((t, i) => plainNs[i]! / t)
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const figure = { name, trickNs: median(trickNs), plainNs: median(plainNs), ratios }
  figures.push(figure)
  console.log(
    `  ${name}: trick ${fmt(figure.trickNs)}, plain ${fmt(figure.plainNs)} per op; plain/trick ${ratios.map((r) => r.toFixed(2)).join(' ')} (median ${median(ratios).toFixed(2)}×)`,
  )
  return figure
}

export function fmt(ns: number): string {
  return ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(1)} ns`
}

/** The report of the project's usual test event (test/bench/micro/ uses it everywhere). */
export const EVENT = {
  type: 'step.progress',
  timestamp: '2026-03-07T12:00:00.123Z',
  job_id: 'bench',
  step_id: 'inference',
  payload: { n: 1, percent: 50, note: 'steady state' },
}
