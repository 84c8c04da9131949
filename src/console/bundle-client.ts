// Build-time only: bundles the browser islands (src/console/client/) with Bun's own bundler. It runs as
// a macro (src/console/assets.ts), so the bundle is made when the server's code is loaded by `bun` and
// when `bun build --compile` makes the executable, which then carries it: nothing is built or fetched at
// run time on an air-gapped site. (A macro may not call Bun.build while the bundler runs, hence the CLI.)
import { join } from 'node:path'

export function clientBundle(): string {
  const entry = join(import.meta.dir, 'client', 'main.tsx')
  const built = Bun.spawnSync([process.execPath, 'build', entry, '--target=browser', '--format=esm', '--minify'], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  if (!built.success) throw new Error(`the console's browser bundle did not build:\n${built.stderr.toString()}`)
  return built.stdout.toString()
}
