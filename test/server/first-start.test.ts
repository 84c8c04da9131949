// The first-run admin password (docs/api.md §1, docs/auth.md "First start"): on a terminal it is printed once;
// otherwise (systemd, a pipe) it goes to initial-admin-password (mode 0600) beside the database, and only
// the file's path is logged.
import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { ROOT, startServer } from './process'

const NO_ADMIN_ENV = { ADMIN_EMAIL: '', ADMIN_PASSWORD: '' }
const login = (url: string, password: string) =>
  fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@localhost', password }) })

describe('first start', () => {
  test('with stdout a pipe: the password is in a 0600 file beside the database, never in the output', async () => {
    const dir = tempDir()
    const db = join(dir.path, 'data', 'gc.db')
    const file = join(dir.path, 'data', 'initial-admin-password')
    try {
      const server = await startServer({ db, env: NO_ADMIN_ENV })
      try {
        expect(statSync(file).mode & 0o777).toBe(0o600)
        const password = readFileSync(file, 'utf8').trim()
        expect(password.length).toBeGreaterThanOrEqual(20)
        expect(server.stdout()).not.toContain(password)
        expect(server.stderr()).not.toContain(password)
        const logged = server.stderr().split('\n').find((line) => line.includes('initial-admin-password'))
        expect(JSON.parse(logged!)).toMatchObject({ level: 'info', email: 'admin@localhost', file })
        expect((await login(server.url, password)).status).toBe(200)
      } finally {
        await server.stop()
      }
      // A later start is not a first start: the file is left as it is and nothing is created.
      const before = readFileSync(file, 'utf8')
      const again = await startServer({ db, env: NO_ADMIN_ENV })
      await again.stop()
      expect(readFileSync(file, 'utf8')).toBe(before)
      expect(again.stderr()).not.toContain('first start')
    } finally {
      dir.remove()
    }
  })

  // script(1) (util-linux) gives the server a pseudo-terminal as stdout.
  test.skipIf(!Bun.which('script'))('with stdout a terminal: printed once, and no file is written', async () => {
    const dir = tempDir()
    const db = join(dir.path, 'gc.db')
    const command = [process.execPath, join(ROOT, 'src/main.ts'), 'serve', '--port', '0', '--db', db].map((arg) => `'${arg}'`).join(' ')
    const proc = Bun.spawn(['script', '-qec', command, '/dev/null'], { env: { ...process.env, ...NO_ADMIN_ENV }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
    let out = ''
    const reading = (async () => {
      for await (const chunk of proc.stdout) out += new TextDecoder().decode(chunk)
    })()
    try {
      const deadline = Date.now() + 15_000
      while (!out.includes('"msg":"listening"') && Date.now() < deadline && proc.exitCode === null) await Bun.sleep(20)
      const password = /with password (\S+)/.exec(out)?.[1]
      expect(password).toBeDefined()
      expect(existsSync(join(dir.path, 'initial-admin-password'))).toBe(false)
      const url = /"msg":"listening","url":"([^"]+)"/.exec(out)![1]!
      expect((await login(url, password!)).status).toBe(200)
    } finally {
      proc.kill('SIGTERM')
      await proc.exited
      await reading.catch(() => {})
      dir.remove()
    }
  })
})
