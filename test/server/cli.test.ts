// The admin commands, run as processes against a database file while the server also uses it.
import { afterAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import pkg from '../../package.json'
import { tempDir } from '../helpers'
import { ROOT, startServer } from './process'

const dir = tempDir()
const db = join(dir.path, 'gc.db')
afterAll(() => dir.remove())

const cli = (...args: string[]) => {
  const result = Bun.spawnSync([process.execPath, join(ROOT, 'src/main.ts'), ...args], { cwd: dir.path, env: { ...process.env } })
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() }
}

describe('CLI', () => {
  test('--version and --help', () => {
    // The first line is the version alone (scripts read it); the second, the schema (test/server/version.test.ts).
    const version = cli('--version')
    expect(version.code).toBe(0)
    expect(version.out).toStartWith(`${pkg.version}\nschema `)
    const help = cli('--help')
    expect(help.code).toBe(0)
    expect(help.out).toContain('ground-console key create --email E')
  })

  test('a bad flag exits 2 with the reason and the usage', () => {
    const result = cli('serve', '--port', 'x')
    expect(result.code).toBe(2)
    expect(result.err).toContain('--port must be a number')
    expect(result.err).toContain('Usage:')
  })

  test('user create, then key create prints only a key that the running server accepts', async () => {
    const created = cli('user', 'create', '--db', db, '--email', 'Night@Shift.test', '--password', 'night-shift-pw', '--role', 'operator')
    expect(created.code).toBe(0)
    expect(created.out).toContain('night@shift.test')
    expect(cli('user', 'create', '--db', db, '--email', 'night@shift.test', '--password', 'night-shift-pw').code).toBe(1)

    const server = await startServer({ db })
    try {
      const key = cli('key', 'create', '--db', db, '--email', 'night@shift.test', '--name', 'station-1')
      expect(key.code).toBe(0)
      expect(key.out).toMatch(/^rs_live_[A-Za-z0-9]{40}\n$/)
      const reply = await fetch(`${server.url}/api/deployments`, { headers: { 'x-api-key': key.out.trim() } })
      expect(reply.status).toBe(200)
      expect(cli('key', 'create', '--db', db, '--email', 'night@shift.test', '--test').out).toStartWith('rs_test_')
      expect(cli('key', 'create', '--db', db, '--email', 'nobody@shift.test')).toMatchObject({ code: 1, out: '' })
    } finally {
      await server.stop()
    }
  })

  test('user reset-password prints only a new password, which the running server takes at once; the old one and its sessions end', async () => {
    const server = await startServer({ db })
    const login = (password: string) =>
      fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'night@shift.test', password }) })
    try {
      const before = await login('night-shift-pw')
      expect(before.status).toBe(200)
      const cookie = before.headers.get('set-cookie')!.split(';')[0]!
      const reset = cli('user', 'reset-password', '--db', db, '--email', 'Night@Shift.test')
      expect(reset.code).toBe(0)
      expect(reset.out).toMatch(/^[A-Za-z0-9_-]{20}\n$/)
      expect((await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).status).toBe(401)
      expect((await login('night-shift-pw')).status).toBe(401)
      expect((await login(reset.out.trim())).status).toBe(200)
      // Two resets, two different passwords; an unknown email is exit 1 with nothing on stdout.
      expect(cli('user', 'reset-password', '--db', db, '--email', 'night@shift.test').out).not.toBe(reset.out)
      expect(cli('user', 'reset-password', '--db', db, '--email', 'nobody@shift.test')).toMatchObject({ code: 1, out: '' })
      expect(cli('user', 'reset-password', '--db', db, '--email', 'night@shift.test', '--password', 'chosen-password').code).toBe(2)
    } finally {
      await server.stop()
    }
  }, 60_000)
})
