// npm run bench:micro: every micro-benchmark of test/bench/micro/, one process each (so none warms or
// pollutes another's heap), each printing its tricks against the plain versions as ratios. A few seconds
// a file; MICRO_MS sets each side's milliseconds per round (200). It prints figures; it asserts nothing.
import { join } from 'node:path'

const FILES = ['time.ts', 'canonical.ts', 'bytes.ts', 'envelope.ts', 'inserts.ts', 'rows.ts', 'ids.ts', 'retry-slots.ts']
for (const file of FILES) {
  console.log(`\n== test/bench/micro/${file}`)
  const run = Bun.spawnSync([process.execPath, join(import.meta.dir, file)], { stdout: 'inherit', stderr: 'inherit', env: process.env })
  if (run.exitCode !== 0) {
    console.error(`test/bench/micro/${file} failed (exit ${run.exitCode})`)
    process.exitCode = 1
  }
}
