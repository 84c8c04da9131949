// Builds the single executable and runs the operator's smoke test against it.
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { smokeTestBinary } from '../smoke/binary'
import { ROOT } from './process'

test('the compiled binary, alone in an empty directory, serves the core flow', async () => {
  const dir = tempDir()
  try {
    const outfile = join(dir.path, 'ground-console')
    const build = Bun.spawnSync([process.execPath, 'build', join(ROOT, 'src/main.ts'), '--compile', '--outfile', outfile], { cwd: ROOT })
    expect(build.exitCode).toBe(0)
    await smokeTestBinary(outfile)
  } finally {
    dir.remove()
  }
})
