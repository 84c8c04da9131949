// Form fields the JSON API would refuse are refused by the console too, never mended on the way
// (docs/api.md §0: a body that is not UTF-8 is 400; wrong types are 400, never coerced; a repeated parameter
// is 400).
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createHarness, createTenant, PASSWORD, type Harness, type Tenant } from '../helpers'
import { consoleLogin, csrfOf, page } from './kit'

let h: Harness
let t: Tenant
let cookie: string
let csrf: string
beforeAll(async () => {
  h = createHarness()
  t = await createTenant(h)
  cookie = await consoleLogin(h, t.email, PASSWORD)
  csrf = csrfOf((await page(h, '/missions', cookie)).text)
})
afterAll(() => h.close())

const post = (path: string, body: BodyInit) =>
  h.app.handle(new Request(`http://localhost${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', cookie } }))

test('a mission name that is not UTF-8 is refused, not stored with U+FFFD', async () => {
  const r = await post('/missions', Buffer.concat([Buffer.from(`csrf=${csrf}&name=Orbit`), Buffer.from([0xff]), Buffer.from('%FE')]))
  const names = (await h.request('GET', '/api/missions', { headers: t.asKey })).body.missions.map((m: any) => m.name)
  expect(r.status).toBe(400)
})

test('a speed in hexadecimal is refused, not read as 16', async () => {
  const r = await post('/deployments', `csrf=${csrf}&plan_id=${t.planId}&mode=simulated&speed_multiplier=0x10`)
  const list = (await h.request('GET', '/api/deployments', { headers: t.asKey })).body.deployments
  expect(r.status).toBe(400)
})

test('a field given twice is refused, not taken first', async () => {
  const r = await post('/missions', `csrf=${csrf}&name=first&name=second`)
  expect(r.status).toBe(400)
})
