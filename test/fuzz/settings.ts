// How hard the fuzz suite runs: a fixed seed and a few runs per property under `npm test`; FUZZ_RUNS,
// FUZZ_SEED, FUZZ_PATH and FUZZ_SHRINK choose otherwise (docs/fuzzing.md). Tests may read the environment.
import fc from 'fast-check'
import { test } from 'bun:test'
import { KNOWN_GAPS } from './known-gaps'

const env = process.env
export const SEED = env.FUZZ_SEED ? Number(env.FUZZ_SEED) : 8
const RUNS = env.FUZZ_RUNS ? Number(env.FUZZ_RUNS) : undefined
/** Under `npm test` the first failure ends the run; shrinking a hostile input to the smallest one takes long. */
const SHRINK = env.FUZZ_SHRINK === '1'

/** fast-check parameters for one property: `runs` is its share under `npm test`; FUZZ_RUNS overrides it. */
export function params<T>(runs: number): fc.Parameters<T> {
  return { seed: SEED, numRuns: RUNS ?? runs, endOnFailure: !SHRINK, path: env.FUZZ_PATH, verbose: 0 }
}

/** Long runs get as long as they need; under `npm test` a property has 30 s (its runs take far less). */
export const TIMEOUT = RUNS ? 24 * 3600_000 : 30_000

/**
 * A property test. A name listed in known-gaps.ts is a contract gap not fixed yet: it runs as
 * test.failing, so the suite stays green while the gap is open and turns red the day it closes (then
 * delete its entry).
 */
export function property(name: string, body: () => Promise<void>) {
  const run = name in KNOWN_GAPS ? test.failing : test
  run(name, body, TIMEOUT)
}
