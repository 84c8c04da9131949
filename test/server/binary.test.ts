// Builds the single executable and runs the operator's smoke test against it.
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import pkg from '../../package.json'
import { tempDir } from '../helpers'
import { smokeTestBinary } from '../smoke/binary'
import { ROOT } from './process'

test('the compiled binary, alone in an empty directory, serves the core flow', async () => {
  const dir = tempDir()
  try {
    const outfile = join(dir.path, 'ground-console')
    // The very command `npm run build` runs, with only the output path changed.
    const args = pkg.scripts.build.split(' ').slice(1).map((arg) => (arg === 'dist/ground-console' ? outfile : arg))
    const build = Bun.spawnSync([process.execPath, ...args], { cwd: ROOT })
    expect(build.exitCode).toBe(0)
    await smokeTestBinary(outfile)
  } finally {
    dir.remove()
  }
})
