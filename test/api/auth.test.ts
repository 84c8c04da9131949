import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ensureAdmin } from '../../src/bootstrap'
import { createTenant, everythingStored, harnessPerTest, onSqlite, PASSWORD, type FixedClock, type Harness } from '../helpers'

let h: Harness
let clock: FixedClock
harnessPerTest((harness, fixed) => {
  h = harness
  clock = fixed
})

/** The database path main hands ensureAdmin (its files go beside it): SQLite's file, or one in the harness's folder on PostgreSQL. */
const dbPath = () => (onSqlite ? h.dbPath : join(h.dataDir, 'test.db'))
const login = (email: string, password: string) => h.request('POST', '/api/auth/login', { body: { email, password } })

describe('login', () => {
  test('answers the user and a session cookie with the contract attributes', async () => {
    await h.app.services.auth.createUser({ email: 'Op@Example.test', password: PASSWORD, name: 'Op' })
    const reply = await login('op@example.TEST', PASSWORD)
    expect(reply.status).toBe(200)
    expect(reply.body.user).toEqual({ id: expect.stringMatching(/^usr-[0-9a-z]{26}$/), email: 'op@example.test', name: 'Op', role: 'operator', created_at: '2026-03-07T12:00:00Z', disabled_at: null })
    const cookie = reply.headers.get('set-cookie')!
    expect(cookie).toMatch(/^session=ses-[0-9a-z]+\.[A-Za-z0-9_-]{43}; /)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
    expect(cookie).toContain('Path=/')
    expect(cookie).toContain(`Max-Age=${7 * 24 * 3600}`)
    expect(cookie).not.toContain('Secure')
  })

  test('wrong email and wrong password give the same 401', async () => {
    await h.app.services.auth.createUser({ email: 'op@example.test', password: PASSWORD })
    const wrongPassword = await login('op@example.test', 'not the password')
    const wrongEmail = await login('nobody@example.test', PASSWORD)
    expect(wrongPassword.status).toBe(401)
    expect(wrongEmail.status).toBe(401)
    expect(wrongPassword.body).toEqual(wrongEmail.body)
    expect(wrongPassword.body).toEqual({ error: 'wrong email or password', code: 'UNAUTHORIZED' })
  })

  test('stores only an argon2id hash of the password and a hash of the session secret', async () => {
    await h.app.services.auth.createUser({ email: 'op@example.test', password: PASSWORD })
    const reply = await login('op@example.test', PASSWORD)
    const secret = reply.headers.get('set-cookie')!.split(';')[0]!.split('.')[1]!
    const user = await h.store.getUserByEmail('op@example.test')
    expect(user!.passwordHash).toStartWith('$argon2id$')
    const stored = await everythingStored(h) // SQLite: the file and its WAL; PostgreSQL: every row
    expect(stored).not.toContain(secret)
    expect(stored).not.toContain(PASSWORD)
  })

  test('is rate-limited per (client, email) after 10 failures, with Retry-After (docs/api.md §1)', async () => {
    await h.app.services.auth.createUser({ email: 'op@example.test', password: PASSWORD })
    for (let i = 0; i < 10; i++) expect((await login('op@example.test', 'wrong password!')).status).toBe(401)
    const limited = await login('op@example.test', PASSWORD)
    expect(limited.status).toBe(429)
    expect(limited.body.code).toBe('RATE_LIMITED')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    clock.advance(15 * 60 + 1)
    expect((await login('op@example.test', PASSWORD)).status).toBe(200)
  })

  test('is rate-limited per client address across emails after 100 failures', async () => {
    for (let i = 0; i < 100; i++) expect((await login(`u${i}@example.test`, 'wrong password!')).status).toBe(401)
    expect((await login('another@example.test', 'wrong password!')).status).toBe(429)
  })

  test('bad bodies are 400/415 and never a session', async () => {
    expect((await h.request('POST', '/api/auth/login', { raw: '{', headers: {} })).status).toBe(400)
    expect((await h.request('POST', '/api/auth/login', { body: { email: 'a@b.c' } })).body).toEqual({ error: 'password: expected required property', code: 'VALIDATION' })
    expect((await h.request('POST', '/api/auth/login', { raw: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415)
  })
})

describe('sessions', () => {
  test('me answers the user; logout deletes the session server-side', async () => {
    const tenant = await createTenant(h)
    const me = await h.request('GET', '/api/auth/me', { headers: { cookie: tenant.cookie } })
    expect(me.status).toBe(200)
    expect(me.body.user.email).toBe(tenant.email)
    const out = await h.request('POST', '/api/auth/logout', { headers: { cookie: tenant.cookie } })
    expect(out.status).toBe(204)
    expect(out.text).toBe('')
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0')
    expect((await h.request('GET', '/api/auth/me', { headers: { cookie: tenant.cookie } })).status).toBe(401)
  })

  test('a session expires after 7 days unused, and slides forward when used', async () => {
    const tenant = await createTenant(h)
    clock.advance(4 * 24 * 3600) // past half the lifetime: this use renews it
    const renewed = await h.request('GET', '/api/auth/me', { headers: { cookie: tenant.cookie } })
    expect(renewed.status).toBe(200)
    expect(renewed.headers.get('set-cookie')).toContain(`Max-Age=${7 * 24 * 3600}`)
    clock.advance(6 * 24 * 3600) // 10 days after login, 6 after the renewal
    expect((await h.request('GET', '/api/auth/me', { headers: { cookie: tenant.cookie } })).status).toBe(200)
    clock.advance(7 * 24 * 3600 + 1)
    expect((await h.request('GET', '/api/auth/me', { headers: { cookie: tenant.cookie } })).status).toBe(401)
  })

  test('a tampered secret is refused', async () => {
    const tenant = await createTenant(h)
    const tampered = tenant.cookie.slice(0, -2) + (tenant.cookie.endsWith('AA') ? 'BB' : 'AA')
    expect((await h.request('GET', '/api/auth/me', { headers: { cookie: tampered } })).status).toBe(401)
    expect((await h.request('GET', '/api/auth/me', { headers: { cookie: 'session=garbage' } })).status).toBe(401)
    // Not even valid percent-encoding: still a plain 401, never a 500.
    expect((await h.request('GET', '/api/auth/me', { headers: { cookie: 'session=%E0%A4%A' } })).status).toBe(401)
    expect((await h.request('GET', '/api/deployments', { headers: { cookie: 'session=%E0%A4%A' } })).status).toBe(401)
    expect((await h.request('POST', '/api/auth/logout', { headers: { cookie: 'session=%E0%A4%A' } })).status).toBe(204)
  })
})

describe('first-run admin', () => {
  test('is created from ADMIN_EMAIL/ADMIN_PASSWORD, only on an empty database', async () => {
    const created = await ensureAdmin(h.store, h.app.services.auth, { email: 'root@site.test', password: 'a long password' })
    expect(created).toEqual({ email: 'root@site.test', generatedPassword: undefined, passwordFile: undefined })
    expect((await login('root@site.test', 'a long password')).body.user.role).toBe('admin')
    expect(await ensureAdmin(h.store, h.app.services.auth, {})).toBeNull()
  })

  test('not on a terminal: the generated password goes to a 0600 file beside the database, replacing a stale one', async () => {
    const dir = dirname(dbPath())
    const file = join(dir, 'initial-admin-password')
    writeFileSync(file, 'stale\n', { mode: 0o644 })
    const created = await ensureAdmin(h.store, h.app.services.auth, {}, { terminal: false, dbPath: dbPath() })
    expect(created!.passwordFile).toBe(file)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8')).toBe(`${created!.generatedPassword}\n`)
    expect((await login('admin@localhost', created!.generatedPassword!)).status).toBe(200)
  })

  test('on a terminal no file is written (main prints the password)', async () => {
    const created = await ensureAdmin(h.store, h.app.services.auth, {}, { terminal: true, dbPath: dbPath() })
    expect(created!.passwordFile).toBeUndefined()
    expect(created!.generatedPassword).toBeDefined()
    expect(existsSync(join(dirname(dbPath()), 'initial-admin-password'))).toBe(false)
  })

  test('with ADMIN_EMAIL/ADMIN_PASSWORD no file is written', async () => {
    const configured = await ensureAdmin(h.store, h.app.services.auth, { email: 'root@site.test', password: 'a long password' }, { terminal: false, dbPath: dbPath() })
    expect(configured).toEqual({ email: 'root@site.test', generatedPassword: undefined, passwordFile: undefined })
    expect(existsSync(join(dirname(dbPath()), 'initial-admin-password'))).toBe(false)
  })

  test('otherwise is admin@localhost with a random password that works', async () => {
    const created = await ensureAdmin(h.store, h.app.services.auth, {})
    expect(created!.email).toBe('admin@localhost')
    expect(created!.generatedPassword!.length).toBeGreaterThanOrEqual(20)
    expect((await login('admin@localhost', created!.generatedPassword!)).status).toBe(200)
  })
})
