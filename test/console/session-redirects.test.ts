// Where the console sends a browser whose session is gone, or that it takes for gone.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createHarness, createTenant, PASSWORD, storageBusy, type Harness, type Tenant } from '../helpers'
import { consoleLogin, csrfOf, page, postForm } from './kit'

let h: Harness
let t: Tenant
let cookie: string
beforeEach(async () => {
  h = createHarness()
  t = await createTenant(h)
  cookie = await consoleLogin(h, t.email, PASSWORD)
})
afterEach(() => h.close())

/** A form of the page at `from`, sent after the session ended elsewhere; then log in again and follow `next`. */
async function afterExpiry(from: string, action: string, fields: Record<string, string>) {
  const csrf = csrfOf((await page(h, from, cookie)).text)
  await h.request('POST', '/api/auth/logout', { headers: { cookie } }) // the session ends (logout elsewhere, expiry, password change)
  const sent = await postForm(h, action, { csrf, ...fields }, cookie)
  expect(sent.status).toBe(303)
  const next = new URL(sent.headers.get('location')!, 'http://localhost').searchParams.get('next') ?? '/'
  const fresh = await consoleLogin(h, t.email, PASSWORD)
  return { next, landed: await page(h, next, fresh) }
}

test('Log out with a session that already ended: straight to the login page, not "log in to log out"', async () => {
  const csrf = csrfOf((await page(h, '/', cookie)).text)
  await h.request('POST', '/api/auth/logout', { headers: { cookie } })
  const out = await postForm(h, '/logout', { csrf }, cookie)
  expect(out.headers.get('location')).toBe('/login')
})

for (const [from, action, fields] of [
  ['/', '/deployments', { plan_id: 'x', mode: 'live' }],
  ['/missions', '/missions', { name: 'm' }],
  ['/missions', '/plans', { plan_source: 'example' }],
  ['/keys', '/keys', { name: 'k' }],
  ['/account', '/account/password', { current_password: 'a', new_password: 'b' }],
] as const) {
  test(`a form sent to ${action} after the session ended: after logging in again the browser lands on a page, not a 404`, async () => {
    const { next, landed } = await afterExpiry(from, action, fields)
    expect(landed.status).toBe(200)
  })
}

test('the login form sent while a session is valid (a second tab) logs in, or says so — not "this form has expired"', async () => {
  const reply = await postForm(h, '/login', { email: t.email, password: PASSWORD }, cookie)
  expect(reply.status).toBe(303)
})

test('the API answering 503 (storage unavailable) is an error page in words, not a trip to the login form', async () => {
  const store = h.store as any
  const original = store.getSession
  store.getSession = async () => {
    throw storageBusy()
  }
  try {
    expect((await h.request('GET', '/api/auth/me', { headers: { cookie } })).status).toBe(503)
    const reply = await page(h, '/agents', cookie)
    expect(reply.status).toBe(503)
  } finally {
    store.getSession = original
  }
})

test('a repeated query parameter on a page is an HTML page with the error in words (and the CSP), not raw JSON', async () => {
  const reply = await page(h, '/?status=running&status=failed', cookie)
  expect(reply.status).toBe(400)
  expect(reply.headers.get('content-type')).toStartWith('text/html')
})
