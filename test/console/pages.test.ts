// The console's pages through app.handle: login, every page rendered for a signed-in user, forms with
// their errors, and the redirects (docs/console.md).
import { describe, expect, test } from 'bun:test'
import { createTenant, harnessPerTest, PASSWORD, type Harness } from '../helpers'
import { consoleLogin, csrfOf, page, postForm } from './kit'

let h: Harness
harnessPerTest((harness) => (h = harness))

describe('login', () => {
  test('a page without a session sends the browser to log in, then back', async () => {
    const reply = await page(h, '/account?x=1')
    expect(reply.status).toBe(303)
    expect(reply.headers.get('location')).toBe('/login?next=%2Faccount%3Fx%3D1')
    const login = await page(h, '/login')
    expect(login.status).toBe(200)
    expect(login.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(login.text).toContain('name="email"')
    expect(login.text).toContain('name="password"')
  })

  test('wrong password: 401 with the error in words, the email kept', async () => {
    const tenant = await createTenant(h)
    const reply = await postForm(h, '/login', { email: tenant.email, password: 'not the password' })
    expect(reply.status).toBe(401)
    expect(reply.text).toContain('Wrong email or password.')
    expect(reply.text).toContain(`value="${tenant.email}"`)
  })

  test('a good login sets the session cookie and goes to `next`, but only a local one', async () => {
    const tenant = await createTenant(h)
    for (const [next, expected] of [
      ['/agents', '/agents'],
      ['//evil.example/x', '/'],
      ['/\\evil.example', '/'],
      ['https://evil.example', '/'],
      ['/\t/evil.example', '/'],
    ] as const) {
      const reply = await postForm(h, `/login?next=${encodeURIComponent(next)}`, { email: tenant.email, password: PASSWORD })
      expect(reply.status).toBe(303)
      expect(reply.headers.get('location')).toBe(expected)
      expect(reply.headers.getSetCookie().some((c) => c.startsWith('session=') && c.includes('HttpOnly') && c.includes('SameSite=Lax'))).toBe(true)
    }
  })

  test('logout needs the form token and ends the session', async () => {
    const tenant = await createTenant(h)
    const cookie = await consoleLogin(h, tenant.email, PASSWORD)
    const home = await page(h, '/', cookie)
    expect(home.status).toBe(200)
    expect((await postForm(h, '/logout', {}, cookie)).status).toBe(403)
    expect((await postForm(h, '/logout', { csrf: 'x'.repeat(43) }, cookie)).status).toBe(403)
    const out = await postForm(h, '/logout', { csrf: csrfOf(home.text) }, cookie)
    expect(out.status).toBe(303)
    expect(out.headers.get('location')).toBe('/login')
    expect((await page(h, '/', cookie)).status).toBe(303)
  })
})

describe('pages', () => {
  test('the deployments page lists the deployments with status badges', async () => {
    const tenant = await createTenant(h)
    const id = await tenant.createDeployment('live')
    const cookie = await consoleLogin(h, tenant.email, PASSWORD)
    const home = await page(h, '/', cookie)
    expect(home.status).toBe(200)
    expect(home.text).toContain(`href="/deployments/${id}"`)
    expect(home.text).toContain('data-status="pending"')
  })

  test('a bad filter is the API error, in words, on the page', async () => {
    const tenant = await createTenant(h)
    const cookie = await consoleLogin(h, tenant.email, PASSWORD)
    const reply = await page(h, '/?status=sleeping', cookie)
    expect(reply.status).toBe(400)
    expect(reply.text).toContain('status')
    expect(reply.text).toContain('role="alert"')
  })
})

describe('addresses', () => {
  test('an unknown page is an HTML 404; an unknown API path stays the JSON 404', async () => {
    const page404 = await page(h, '/no/such/page')
    expect(page404.status).toBe(404)
    expect(page404.headers.get('content-type')).toStartWith('text/html')
    expect(page404.headers.get('content-security-policy')).toContain("default-src 'none'")
    const api404 = await page(h, '/api/no/such/route')
    expect(api404.status).toBe(404)
    expect(api404.body).toEqual({ error: 'no route for GET /api/no/such/route', code: 'NOT_FOUND' })
  })

  test('the assets are served with a content hash and cached for good; an unknown one is 404', async () => {
    const login = await page(h, '/login')
    const script = /src="(\/assets\/console\.js\?v=[a-z0-9]+)"/.exec(login.text)![1]!
    const css = /href="(\/assets\/console\.css\?v=[a-z0-9]+)"/.exec(login.text)![1]!
    for (const asset of [script, css]) {
      const reply = await page(h, asset)
      expect(reply.status).toBe(200)
      expect(reply.headers.get('cache-control')).toContain('immutable')
    }
    expect((await page(h, '/assets/secret.txt')).status).toBe(404)
    expect((await page(h, '/assets/..%2Fpackage.json')).status).toBe(404)
  })
})

describe('--no-console', () => {
  test('serves the API alone: no page, no asset, the API unchanged', async () => {
    const { createApp } = await import('../../src/app')
    const { silentLogger } = await import('../../src/log')
    const bare = createApp({ store: h.store, log: silentLogger, console: false })
    try {
      for (const path of ['/', '/login', '/assets/console.css', '/account']) {
        const reply = await bare.handle(new Request(`http://localhost${path}`))
        expect(reply.status).toBe(404)
        expect(reply.headers.get('content-type')).toStartWith('application/json')
      }
      expect((await bare.handle(new Request('http://localhost/healthz'))).status).toBe(200)
    } finally {
      bare.services.replay.stop()
      bare.services.sessions.stop()
      bare.services.streams.stop()
      void bare.services.reports.stop()
    }
  })
})
