// API keys and users through app.handle (docs/console.md "API keys", "Users"): a new key shown once with
// its copy button and never again, no-store; revoking; users for admins only, creating one, the 409 next
// to the email; nothing of another user's keys.
import { describe, expect, test } from 'bun:test'
import { createTenant, harnessPerTest, PASSWORD, type Harness } from '../helpers'
import { elementById, rowOf, textOf } from './fleet-kit'
import { consoleLogin, csrfOf, page, postForm } from './kit'

let h: Harness
harnessPerTest((harness) => (h = harness))

async function signedIn(role: 'admin' | 'operator' = 'operator') {
  const t = await createTenant(h, role)
  const cookie = await consoleLogin(h, t.email, PASSWORD)
  const csrf = csrfOf((await page(h, '/keys', cookie)).text)
  return { t, cookie, csrf }
}

describe('/keys', () => {
  test('the user’s keys with prefix, environment, last use and state in words; nothing of another user’s', async () => {
    const { t, cookie } = await signedIn()
    const other = await createTenant(h)
    await h.request('POST', '/api/keys', { body: { name: 'other-secret-key' }, headers: { cookie: other.cookie } })
    const reply = await page(h, '/keys', cookie)
    expect(reply.status).toBe(200)
    const row = rowOf(reply.text, t.keyId)!
    expect(textOf(row)).toContain(`${t.key.slice(0, 12)}…`)
    expect(textOf(row)).toContain('live')
    expect(row).toContain('data-state="active"')
    expect(textOf(row)).toContain('active')
    expect(row).toContain('datetime="2026-03-07T12:00:00Z"') // last used: createTenant used the key
    expect(reply.text).not.toContain('other-secret-key')
    expect(reply.text).not.toContain(other.keyId)
    expect(reply.text).not.toContain(t.key) // never the key itself
    // The scope, in its own column (docs/api.md §1 "Key scopes").
    expect(reply.text).toContain('>Scope<')
    expect(row).toContain('<td data-scope="full">full</td>')
  })

  test('a new key: the page itself (200, no-store), the key once with its copy button and warning, never again', async () => {
    const { cookie, csrf } = await signedIn()
    const reply = await postForm(h, '/keys', { csrf, name: 'ground station 2', environment: 'test' }, cookie)
    expect(reply.status).toBe(200)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    const key = textOf(elementById(reply.text, 'new-key')!).trim()
    expect(key).toMatch(/^rs_test_[A-Za-z0-9]{32,}$/)
    expect(reply.text.split(key)).toHaveLength(2) // exactly once on the page
    const box = elementById(reply.text, 'new-key-heading')!
    expect(textOf(box)).toContain('New key “ground station 2”')
    expect(textOf(reply.text)).toContain('Copy this key now: it will not be shown again.')
    expect(reply.text).toContain('data-island="copy"')
    expect(reply.text).toMatch(/<button type="button" data-copy-target="new-key" hidden>/)
    // The key works, at once.
    expect((await h.request('GET', '/api/agents', { headers: { 'x-api-key': key } })).status).toBe(200)
    const again = await page(h, '/keys', cookie)
    expect(again.text).not.toContain(key)
    expect(textOf(again.text)).toContain('ground station 2')
    expect(again.text).not.toContain('id="new-key"')
  })

  test('a key of scope agent: chosen in the form, said with the new key, and held to its scope at once', async () => {
    const { cookie, csrf } = await signedIn()
    const reply = await postForm(h, '/keys', { csrf, name: 'sat key', environment: 'live', scope: 'agent' }, cookie)
    expect(reply.status).toBe(200)
    expect(textOf(reply.text)).toContain('Environment live, scope agent.')
    const key = textOf(elementById(reply.text, 'new-key')!).trim()
    expect((await h.request('GET', '/api/agent/workloads', { headers: { 'x-api-key': key, 'x-agent-id': 'sat-1' } })).status).toBe(204)
    expect((await h.request('GET', '/api/agents', { headers: { 'x-api-key': key } })).status).toBe(403)
    const bad = await postForm(h, '/keys', { csrf, name: 'x', scope: 'root' }, cookie)
    expect(bad.status).toBe(400)
    expect(elementById(bad.text, 'f-scope-error')).toContain('scope:')
  })

  test('a refused key: the API’s 400 next to the field, the form kept', async () => {
    const { cookie, csrf } = await signedIn()
    const empty = await postForm(h, '/keys', { csrf, name: '' }, cookie)
    expect(empty.status).toBe(400)
    expect(elementById(empty.text, 'f-name-error')).toContain('name:')
    const environment = await postForm(h, '/keys', { csrf, name: 'k', environment: 'prod' }, cookie)
    expect(environment.status).toBe(400)
    expect(textOf(elementById(environment.text, 'f-environment-error')!)).toContain('environment: must be "live" or "test"')
    expect(environment.text).toMatch(/id="f-name"[^>]*value="k"/)
    expect(environment.text).not.toContain('id="new-key"')
  })

  test('revoke: 303 with a notice, the key answers 401, the row says revoked; another user’s key is 404 in words', async () => {
    const { t, cookie, csrf } = await signedIn()
    const other = await createTenant(h)
    const listed = await page(h, '/keys', cookie)
    expect(listed.text).toContain(`action="/keys/${t.keyId}/revoke"`)
    expect((await postForm(h, `/keys/${t.keyId}/revoke`, {}, cookie)).status).toBe(403) // no form token
    const revoked = await postForm(h, `/keys/${t.keyId}/revoke`, { csrf }, cookie)
    expect(revoked.status).toBe(303)
    expect(revoked.headers.get('location')).toBe(`/keys?revoked=${t.keyId}`)
    expect((await h.request('GET', '/api/agents', { headers: t.asKey })).status).toBe(401)
    const after = await page(h, revoked.headers.get('location')!, cookie)
    expect(textOf(after.text)).toContain('Key “test” revoked: requests with it now get 401.')
    const row = rowOf(after.text, t.keyId)!
    expect(row).toContain('data-state="revoked"')
    expect(textOf(row)).toContain('revoked')
    expect(row).not.toContain('/revoke"')
    const foreign = await postForm(h, `/keys/${other.keyId}/revoke`, { csrf }, cookie)
    expect(foreign.status).toBe(404)
    expect(textOf(foreign.text)).toContain('The key could not be revoked: API key not found.')
    expect((await h.request('GET', '/api/agents', { headers: other.asKey })).status).toBe(200)
  })
})

describe('/users', () => {
  test('an admin sees every user with role; creating one: 303 with a notice, and the new user can log in', async () => {
    const { t, cookie, csrf } = await signedIn('admin')
    const reply = await page(h, '/users', cookie)
    expect(reply.status).toBe(200)
    expect(textOf(elementById(reply.text, 'users')!)).toContain(`${t.email} (you)`)
    const created = await postForm(h, '/users', { csrf, email: 'new.operator@example.test', password: 'long enough password', name: 'New Operator', role: 'operator' }, cookie)
    expect(created.status).toBe(303)
    const after = await page(h, created.headers.get('location')!, cookie)
    expect(textOf(after.text)).toContain('User new.operator@example.test created, as operator.')
    const row = textOf(elementById(after.text, 'users')!)
    expect(row).toContain('New Operator')
    expect(after.text).toContain('data-role="operator"')
    await consoleLogin(h, 'new.operator@example.test', 'long enough password')
  })

  test('an email that exists: the API’s 409 next to the email; a short password: 400 next to it; never echoed', async () => {
    const { t, cookie, csrf } = await signedIn('admin')
    const taken = await postForm(h, '/users', { csrf, email: t.email, password: 'long enough password', name: 'Twin', role: 'admin' }, cookie)
    expect(taken.status).toBe(409)
    expect(textOf(elementById(taken.text, 'f-email-error')!)).toContain(`a user with email ${t.email} already exists`)
    expect(taken.text).toMatch(/id="f-name"[^>]*value="Twin"/)
    expect(taken.text).toContain('<option value="admin" selected>')
    expect(taken.text).not.toContain('long enough password')
    const short = await postForm(h, '/users', { csrf, email: 'x@example.test', password: 'short' }, cookie)
    expect(short.status).toBe(400)
    expect(textOf(elementById(short.text, 'f-password-error')!)).toContain('password: must be 10 to 1024 characters')
  })

  test('an operator: the API’s 403 as the page, in words, and no Users link in the navigation', async () => {
    const { cookie, csrf } = await signedIn('operator')
    const reply = await page(h, '/users', cookie)
    expect(reply.status).toBe(403)
    expect(textOf(reply.text)).toContain('Not allowed')
    expect(textOf(reply.text)).toContain('only an admin may manage users')
    expect(reply.text).not.toContain('href="/users"')
    const post = await postForm(h, '/users', { csrf, email: 'y@example.test', password: 'long enough password' }, cookie)
    expect(post.status).toBe(403)
    expect(textOf(post.text)).toContain('only an admin may manage users')
  })
})
