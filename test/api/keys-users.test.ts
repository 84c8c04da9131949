import { describe, expect, test } from 'bun:test'
import { createTenant, everythingStored, harnessPerTest, onSqlite, PASSWORD, queryDb, type FixedClock, type Harness } from '../helpers'
import { LOCAL_AUTH_VERSION_FRESH_MS } from '../../src/auth/service'

let h: Harness
let clock: FixedClock
harnessPerTest((harness, fixed) => {
  h = harness
  clock = fixed
})

describe('API keys', () => {
  test('created once in plaintext, in the SDK format, listed without key or hash', async () => {
    const t = await createTenant(h)
    const live = await h.request('POST', '/api/keys', { body: { name: 'ground' }, headers: { cookie: t.cookie } })
    expect(live.status).toBe(201)
    expect(live.body).toEqual({ id: expect.stringMatching(/^key-/), name: 'ground', key: expect.stringMatching(/^rs_live_[A-Za-z0-9]{32,}$/), prefix: live.body.key.slice(0, 12), environment: 'live', scope: 'full', created_at: '2026-03-07T12:00:00Z' })
    expect(live.body.key).toMatch(/^rs_(live|test)_[a-zA-Z0-9]{16,}$/) // the public SDK's own pattern
    const test_ = await h.request('POST', '/api/keys', { body: { name: 'dev', environment: 'test' }, headers: { cookie: t.cookie } })
    expect(test_.body.key).toStartWith('rs_test_')
    const list = await h.request('GET', '/api/keys', { headers: { cookie: t.cookie } })
    expect(list.body.keys.map((k: { name: string }) => k.name)).toEqual(['dev', 'ground', 'test']) // newest first (docs/api.md §0)
    for (const k of list.body.keys) expect(Object.keys(k).sort()).toEqual(['created_at', 'environment', 'id', 'last_used_at', 'name', 'prefix', 'revoked_at', 'scope'])
    expect(list.text).not.toContain(live.body.key)
  })

  test('only the SHA-256 of a key is stored', async () => {
    const t = await createTenant(h)
    const hash = new Bun.CryptoHasher('sha256').update(t.key).digest('hex')
    expect(await h.store.getApiKeyByHash(hash)).not.toBeNull()
    expect(await everythingStored(h)).not.toContain(t.key)
  })

  test('last_used_at moves when the key is used', async () => {
    const t = await createTenant(h) // the tenant's setup used the key at 12:00:00
    clock.advance(120)
    await h.request('GET', '/api/deployments', { headers: t.asKey })
    const [key] = (await h.request('GET', '/api/keys', { headers: { cookie: t.cookie } })).body.keys
    expect(key.last_used_at).toBe('2026-03-07T12:02:00Z')
  })

  test('revocation holds from the very next request, and revoking again keeps the first time', async () => {
    const t = await createTenant(h)
    expect((await h.request('GET', '/api/deployments', { headers: t.asKey })).status).toBe(200)
    const revoked = await h.request('DELETE', `/api/keys/${t.keyId}`, { headers: { cookie: t.cookie } })
    expect(revoked.status).toBe(200)
    expect(revoked.body).toEqual({ id: t.keyId, revoked_at: '2026-03-07T12:00:00Z' })
    expect((await h.request('GET', '/api/deployments', { headers: t.asKey })).status).toBe(401)
    clock.advance(60)
    expect((await h.request('DELETE', `/api/keys/${t.keyId}`, { headers: { cookie: t.cookie } })).body.revoked_at).toBe('2026-03-07T12:00:00Z')
  })

  test('keys are per user: another user cannot list or revoke them', async () => {
    const a = await createTenant(h)
    const b = await createTenant(h)
    expect((await h.request('DELETE', `/api/keys/${a.keyId}`, { headers: { cookie: b.cookie } })).status).toBe(404)
    const list = await h.request('GET', '/api/keys', { headers: { cookie: b.cookie } })
    expect(list.body.keys.map((k: { id: string }) => k.id)).toEqual([b.keyId])
  })

  test.each([
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ name: 5 }, 'name'],
    [{ name: 'k', environment: 'prod' }, 'environment'],
  ])('refuses %p naming %s', async (body, field) => {
    const t = await createTenant(h)
    const reply = await h.request('POST', '/api/keys', { body, headers: { cookie: t.cookie } })
    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('VALIDATION')
    expect(reply.body.error).toStartWith(`${field}:`)
  })
})

describe('users', () => {
  test('an admin creates and lists users; the new user can log in', async () => {
    const admin = await createTenant(h, 'admin')
    const created = await h.request('POST', '/api/users', { body: { email: 'Ops@Site.test', password: 'long enough pw', name: 'Ops' }, headers: { cookie: admin.cookie } })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({ id: expect.stringMatching(/^usr-/), email: 'ops@site.test', name: 'Ops', role: 'operator', created_at: '2026-03-07T12:00:00Z', disabled_at: null })
    const list = await h.request('GET', '/api/users', { headers: { cookie: admin.cookie } })
    expect(list.body.users.map((u: { email: string }) => u.email)).toEqual(['ops@site.test', admin.email]) // newest first (docs/api.md §0)
    expect(list.text).not.toContain('argon2')
    expect((await h.request('POST', '/api/auth/login', { body: { email: 'ops@site.test', password: 'long enough pw' } })).status).toBe(200)
  })

  test('a taken email is 409, whatever its case', async () => {
    const admin = await createTenant(h, 'admin')
    const reply = await h.request('POST', '/api/users', { body: { email: admin.email.toUpperCase(), password: PASSWORD }, headers: { cookie: admin.cookie } })
    expect(reply.status).toBe(409)
    expect(reply.body.code).toBe('CONFLICT')
  })

  test('an operator sending a body too large or not JSON hears 413/415 before 403 (docs/api.md §0 order)', async () => {
    const op = await createTenant(h)
    expect((await h.request('POST', '/api/users', { raw: 'x'.repeat(1024 * 1024 + 1), headers: { cookie: op.cookie } })).status).toBe(413)
    expect((await h.request('POST', '/api/users', { raw: 'email=x', headers: { cookie: op.cookie, 'content-type': 'text/plain' } })).status).toBe(415)
  })

  test('an operator may not manage users', async () => {
    const op = await createTenant(h)
    expect((await h.request('GET', '/api/users', { headers: { cookie: op.cookie } })).status).toBe(403)
    expect((await h.request('POST', '/api/users', { body: { email: 'x@y.z', password: PASSWORD }, headers: { cookie: op.cookie } })).status).toBe(403)
  })

  test.each([
    [{ email: 'not-an-email', password: PASSWORD }, 'email'],
    [{ email: 'a@b.c', password: 'short' }, 'password'],
    [{ email: 'a@b.c', password: PASSWORD, role: 'root' }, 'role'],
    [{ password: PASSWORD }, 'email'],
  ])('refuses %p naming %s', async (body, field) => {
    const admin = await createTenant(h, 'admin')
    const reply = await h.request('POST', '/api/users', { body, headers: { cookie: admin.cookie } })
    expect(reply.status).toBe(400)
    expect(reply.body.error).toStartWith(`${field}:`)
    expect(await h.store.countUsers()).toBe(1)
  })
})

describe('API key checks on the hot path', () => {
  test('a key revoked by another process (straight in the database) is refused: on PostgreSQL at the next request, on SQLite within 100 ms (docs/auth.md "Remembered keys")', async () => {
    const t = await createTenant(h)
    expect((await h.request('GET', '/api/deployments', { headers: t.asKey })).status).toBe(200)
    await queryDb(h, 'UPDATE api_keys SET revoked_at = 1 WHERE id = ?', [t.keyId])
    if (onSqlite) await Bun.sleep(LOCAL_AUTH_VERSION_FRESH_MS + 10)
    expect((await h.request('GET', '/api/deployments', { headers: t.asKey })).status).toBe(401)
  })

  test('a valid key is not looked up again on every request', async () => {
    const t = await createTenant(h)
    let lookups = 0
    const original = h.store.getApiKeyByHash
    h.store.getApiKeyByHash = async (hash) => {
      lookups++
      return original(hash)
    }
    for (let i = 0; i < 20; i++) expect((await h.request('GET', '/api/deployments', { headers: t.asKey })).status).toBe(200)
    expect(lookups).toBe(0) // createTenant's own requests already remembered it
    for (let i = 0; i < 3; i++) expect((await h.request('GET', '/api/deployments', { headers: { 'x-api-key': 'rs_live_unknown' } })).status).toBe(401)
    expect(lookups).toBe(3) // unknown keys are never remembered
  })
})

test('a revocation that lands while a request is looking its key up still holds from the next request', async () => {
  const t = await createTenant(h)
  // A fresh key, never looked up yet: the next use goes to the store.
  const created = await h.request('POST', '/api/keys', { body: { name: 'racy' }, headers: { cookie: t.cookie } })
  const original = h.store.getUserById
  let armed = true
  h.store.getUserById = async (id) => {
    if (armed) {
      // Between the key lookup and the cache write, the key is revoked through the API.
      armed = false
      expect((await h.request('DELETE', `/api/keys/${created.body.id}`, { headers: { cookie: t.cookie } })).status).toBe(200)
      // Another key's request meanwhile notices the new auth version first.
      expect((await h.request('GET', '/api/deployments', { headers: t.asKey })).status).toBe(200)
    }
    return original(id)
  }
  const during = await h.request('GET', '/api/deployments', { headers: { 'x-api-key': created.body.key } })
  h.store.getUserById = original
  expect(during.status).toBe(200) // it was valid when that request began
  expect((await h.request('GET', '/api/deployments', { headers: { 'x-api-key': created.body.key } })).status).toBe(401)
  expect((await h.request('GET', '/api/deployments', { headers: { 'x-api-key': created.body.key } })).status).toBe(401)
})
