// POST /api/auth/password (docs/api.md §1, docs/auth.md "Changing your password").
import { describe, expect, test } from 'bun:test'
import { createTenant, harnessPerTestWithPeers, PASSWORD, type FixedClock, type Harness, type Tenant } from '../helpers'

let h: Harness
let clock: FixedClock
harnessPerTestWithPeers((harness, fixed) => {
  h = harness
  clock = fixed
})

const NEW_PASSWORD = 'a brand new passphrase'
const login = (email: string, password: string, peer = '192.0.2.1') =>
  h.request('POST', '/api/auth/login', { body: { email, password }, headers: { 'x-test-peer': peer } })
const cookieOf = (reply: { headers: Headers }) => reply.headers.get('set-cookie')!.split(';')[0]!
const change = (cookie: string, body: unknown, peer = '192.0.2.1') => h.request('POST', '/api/auth/password', { body, headers: { cookie, 'x-test-peer': peer } })
const me = (cookie: string) => h.request('GET', '/api/auth/me', { headers: { cookie } })

describe('changing the password', () => {
  let t: Tenant
  const setUp = async () => (t = await createTenant(h))

  test('204 with no body; the old password stops working and the new one works', async () => {
    await setUp()
    const reply = await change(t.cookie, { current_password: PASSWORD, new_password: NEW_PASSWORD })
    expect(reply.status).toBe(204)
    expect(reply.text).toBe('')
    expect((await login(t.email, PASSWORD)).status).toBe(401)
    expect((await login(t.email, NEW_PASSWORD)).status).toBe(200)
    expect((await h.store.getUserByEmail(t.email))!.passwordHash).toStartWith('$argon2id$')
  })

  test('ends the caller’s other sessions, keeps the caller’s own, and leaves API keys alone', async () => {
    await setUp()
    const laptop = cookieOf(await login(t.email, PASSWORD))
    const phone = cookieOf(await login(t.email, PASSWORD, '198.51.100.7'))
    const otherUser = await createTenant(h)
    expect((await change(t.cookie, { current_password: PASSWORD, new_password: NEW_PASSWORD })).status).toBe(204)
    expect((await me(t.cookie)).status).toBe(200)
    expect((await me(laptop)).status).toBe(401)
    expect((await me(phone)).status).toBe(401)
    expect((await h.store.getSession(laptop.slice('session='.length).split('.')[0]!))).toBeNull() // deleted, not just refused
    expect((await me(otherUser.cookie)).status).toBe(200)
    expect((await h.request('GET', '/api/deployments', { headers: t.asKey })).status).toBe(200)
    // The kept session goes on working, and sliding still applies to it.
    clock.advance(4 * 24 * 3600)
    expect((await me(t.cookie)).headers.get('set-cookie')).toContain(`Max-Age=${7 * 24 * 3600}`)
  })

  test('a wrong current password is 400 VALIDATION naming current_password, and changes nothing', async () => {
    await setUp()
    const other = cookieOf(await login(t.email, PASSWORD))
    const reply = await change(t.cookie, { current_password: 'not my password', new_password: NEW_PASSWORD })
    expect(reply.status).toBe(400)
    expect(reply.body).toEqual({ error: 'current_password: is not your current password', code: 'VALIDATION' })
    expect((await me(t.cookie)).status).toBe(200) // still logged in: a 400, not a 401
    expect((await me(other)).status).toBe(200)
    expect((await login(t.email, PASSWORD)).status).toBe(200)
  })

  test.each([
    [{ current_password: PASSWORD }, 'new_password: must be a string of 10 to 1024 characters'],
    [{ new_password: NEW_PASSWORD }, 'current_password: expected required property'],
    [{ current_password: PASSWORD, new_password: 'too short' }, 'new_password: must be a string of 10 to 1024 characters'],
    [{ current_password: PASSWORD, new_password: 'x'.repeat(1025) }, 'new_password: must be a string of 10 to 1024 characters'],
    [{ current_password: PASSWORD, new_password: 1234567890123 }, 'new_password: must be a string of 10 to 1024 characters'],
    [{ current_password: 'x'.repeat(1025), new_password: NEW_PASSWORD }, 'current_password: expected string length less or equal to 1024'],
  ])('%j is 400 VALIDATION', async (body, error) => {
    await setUp()
    const reply = await change(t.cookie, body)
    expect(reply.status).toBe(400)
    expect(reply.body).toEqual({ error, code: 'VALIDATION' })
    expect((await login(t.email, PASSWORD)).status).toBe(200)
  })

  test('hostile text: a lone surrogate in new_password is refused; U+0000, emoji and a huge wrong current_password are fine', async () => {
    await setUp()
    const lone = await h.request('POST', '/api/auth/password', { raw: `{"current_password":"${PASSWORD}","new_password":"abcdefghij\\ud800"}`, headers: { cookie: t.cookie } })
    expect(lone.status).toBe(400)
    expect(lone.body).toEqual({ error: 'new_password: must not contain a lone surrogate (\\ud800 without its pair)', code: 'VALIDATION' })
    expect((await change(t.cookie, { current_password: '\ud800'.repeat(1024), new_password: NEW_PASSWORD })).status).toBe(400)
    const odd = 'nul\u0000 and 🛰️ ok'
    expect((await change(t.cookie, { current_password: PASSWORD, new_password: odd })).status).toBe(204)
    expect((await login(t.email, 'nul')).status).toBe(401)
    expect((await login(t.email, odd)).status).toBe(200)
  })

  test('exactly 10 and exactly 1024 characters are accepted', async () => {
    await setUp()
    expect((await change(t.cookie, { current_password: PASSWORD, new_password: '0123456789' })).status).toBe(204)
    expect((await change(t.cookie, { current_password: '0123456789', new_password: 'é'.repeat(1024) })).status).toBe(204)
    expect((await login(t.email, 'é'.repeat(1024))).status).toBe(200)
  })

  test('takes a session only: an API key, no credential, or a logged-out session is 401', async () => {
    await setUp()
    const body = { current_password: PASSWORD, new_password: NEW_PASSWORD }
    expect((await h.request('POST', '/api/auth/password', { body, headers: t.asKey })).status).toBe(401)
    expect((await h.request('POST', '/api/auth/password', { body })).status).toBe(401)
    await h.request('POST', '/api/auth/logout', { headers: { cookie: t.cookie } })
    expect((await change(t.cookie, body)).status).toBe(401)
    expect((await login(t.email, PASSWORD)).status).toBe(200)
  })

  test('non-JSON and malformed bodies are 415 and 400', async () => {
    await setUp()
    expect((await h.request('POST', '/api/auth/password', { raw: 'x=1', headers: { cookie: t.cookie, 'content-type': 'text/plain' } })).status).toBe(415)
    expect((await h.request('POST', '/api/auth/password', { raw: '{', headers: { cookie: t.cookie } })).body.code).toBe('BAD_REQUEST')
  })
})

describe('password change throttling (per user, like logins)', () => {
  test('10 wrong current passwords from one address: then 429 with Retry-After, even for the right one', async () => {
    const t = await createTenant(h)
    for (let i = 0; i < 10; i++) expect((await change(t.cookie, { current_password: `wrong ${i}`, new_password: NEW_PASSWORD })).status).toBe(400)
    const limited = await change(t.cookie, { current_password: PASSWORD, new_password: NEW_PASSWORD })
    expect(limited.status).toBe(429)
    expect(limited.body.code).toBe('RATE_LIMITED')
    expect(limited.headers.get('retry-after')).toBe('900')
    // Another address is unaffected; so are this user's logins from the first address.
    expect((await login(t.email, PASSWORD)).status).toBe(200)
    expect((await change(t.cookie, { current_password: PASSWORD, new_password: NEW_PASSWORD }, '198.51.100.7')).status).toBe(204)
    clock.advance(15 * 60)
    expect((await change(t.cookie, { current_password: NEW_PASSWORD, new_password: PASSWORD })).status).toBe(204)
  })

  test('counts per user, not per session: a second session of the same user shares the count', async () => {
    const t = await createTenant(h)
    const second = cookieOf(await login(t.email, PASSWORD))
    for (let i = 0; i < 5; i++) await change(t.cookie, { current_password: 'wrong', new_password: NEW_PASSWORD })
    for (let i = 0; i < 5; i++) await change(second, { current_password: 'wrong', new_password: NEW_PASSWORD })
    expect((await change(t.cookie, { current_password: PASSWORD, new_password: NEW_PASSWORD })).status).toBe(429)
    const other = await createTenant(h)
    expect((await change(other.cookie, { current_password: PASSWORD, new_password: NEW_PASSWORD })).status).toBe(204)
  })

  test('a success clears the count', async () => {
    const t = await createTenant(h)
    for (let i = 0; i < 9; i++) await change(t.cookie, { current_password: 'wrong', new_password: NEW_PASSWORD })
    expect((await change(t.cookie, { current_password: PASSWORD, new_password: NEW_PASSWORD })).status).toBe(204)
    for (let i = 0; i < 10; i++) expect((await change(t.cookie, { current_password: 'wrong', new_password: PASSWORD })).status).toBe(400)
    expect((await change(t.cookie, { current_password: NEW_PASSWORD, new_password: PASSWORD })).status).toBe(429)
  })

  test('the per-address limit of 100 is shared with logins', async () => {
    const t = await createTenant(h) // its login came from 192.0.2.1 and succeeded: not counted
    for (let i = 0; i < 100; i++) await login(`u${i}@example.test`, 'wrong password!')
    expect((await change(t.cookie, { current_password: PASSWORD, new_password: NEW_PASSWORD })).status).toBe(429)
    expect((await change(t.cookie, { current_password: PASSWORD, new_password: NEW_PASSWORD }, '198.51.100.7')).status).toBe(204)
  })
})
