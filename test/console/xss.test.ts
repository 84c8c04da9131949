// Every page of the console, with hostile strings stored in every value it shows (missions, plans and
// their events, agents, events and payloads, keys, users): each is rendered as text only. A GET route
// added to the console without a row here fails the coverage test at the bottom.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { CONSOLE_ROUTES } from '../../src/console'
import { createHarness, createTenant, PASSWORD, type Harness } from '../helpers'
import { seedHostile, HOSTILE, LIVE_MARKUP, type HostileWorld } from './hostile'
import { consoleLogin, page } from './kit'

let h: Harness
let cookie: string
let world: HostileWorld
beforeAll(async () => {
  h = createHarness()
  const admin = await createTenant(h, 'admin')
  const call = async (method: string, path: string, body: unknown, headers: Record<string, string>) => {
    const reply = await h.request(method, path, { body, headers })
    if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.text}`)
    return reply.body
  }
  world = await seedHostile(call, admin.cookie, admin.key)
  cookie = await consoleLogin(h, admin.email, PASSWORD)
})
afterAll(() => h.close())

const PAGES: { path: string; url: (w: HostileWorld) => string }[] = [
  { path: '/login', url: () => '/login?next=%2F%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E' },
  { path: '/account', url: () => '/account' },
  { path: '/', url: () => '/' },
  { path: '/deployments/:id', url: (w) => `/deployments/${w.deploymentId}` },
  { path: '/deployments/:id/cancel', url: (w) => `/deployments/${w.deploymentId}/cancel` },
  // The deleted notice repeats the id it is given: as text.
  { path: '/agents', url: () => '/agents?deleted=%3Cscript%3Ealert(1)%3C%2Fscript%3E' },
  { path: '/agents/:id', url: (w) => `/agents/${encodeURIComponent(w.agentIds[0]!)}` },
  { path: '/agents/:id/delete', url: (w) => `/agents/${encodeURIComponent(w.agentIds[0]!)}/delete` },
  { path: '/missions', url: () => '/missions' },
  { path: '/plans/:id', url: (w) => `/plans/${w.planId}` },
  { path: '/keys', url: () => '/keys' },
  { path: '/webhooks', url: () => '/webhooks' },
  { path: '/webhooks/:id', url: (w) => `/webhooks/${w.webhookId}` },
  { path: '/users', url: () => '/users' },
  { path: '/audit', url: () => '/audit' },
]

for (const { path, url } of PAGES) {
  test(`GET ${path}: every hostile value is inert text`, async () => {
    // The login page is for someone not logged in: it is read without the cookie.
    const reply = await page(h, url(world), path === '/login' ? undefined : cookie)
    expect(reply.status).toBe(200)
    for (const pattern of LIVE_MARKUP) expect(reply.text).not.toMatch(pattern)
    // Only the console's own scripts: the bundle, and JSON data blocks (never executed).
    for (const tag of reply.text.match(/<script[^>]*>/g) ?? [])
      expect(tag).toMatch(/^<script (type="module" src="\/assets\/console\.js\?v=[a-z0-9]+"|type="application\/json" id="[a-z-]+")>$/)
    // No inline style anywhere (the CSP allows none).
    expect(reply.text).not.toMatch(/\sstyle=/)
    // The values are there, escaped (the login page shows none of them).
    if (path !== '/login' && path !== '/account') expect(reply.text).toContain('&lt;script>alert(1)&lt;/script>')
  })
}

test('the islands’ data blocks hold the hostile values escaped, so `</script>` cannot end the block', async () => {
  const reply = await page(h, `/deployments/${world.deploymentId}`, cookie)
  const blocks = [...reply.text.matchAll(/<script type="application\/json" id="[a-z-]+">([\s\S]*?)<\/script>/g)].map((m) => m[1]!)
  expect(blocks.length).toBeGreaterThan(0)
  for (const block of blocks) {
    expect(block).not.toContain('<')
    expect(JSON.stringify(JSON.parse(block))).toContain(HOSTILE[0])
  }
})

test('every GET page of the console is in this suite', () => {
  const pages = CONSOLE_ROUTES.filter((r) => r.method === 'GET').map((r) => r.path)
  expect(new Set(pages)).toEqual(new Set(PAGES.map((p) => p.path)))
})
