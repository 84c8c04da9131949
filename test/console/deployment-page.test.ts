// The deployment page through app.handle (docs/console.md "Deployment page and timeline"): the timeline of
// the example plan played by the simulated replay, tenancy, the cancel confirmation, the events table's
// filters and paging, the stream's resume point, and hostile text shown inert.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import examplePlan from '../../src/examples/onboard-ml-inference.json'
import { createHarness, createTenant, PASSWORD, type Harness, type Tenant } from '../helpers'
import { SseReader } from '../streams/sse'
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

const START = Date.parse('2026-03-07T12:00:00Z')
type PlanEvent = { type: string; timestamp_s: number; step_id?: string } & Record<string, unknown>

/** The plan's events as an agent reports them (docs/api.md §3.1): the plan's extra fields are the payload. */
function reportsOf(events: PlanEvent[]) {
  return events.map(({ type, timestamp_s, step_id, ...payload }) => ({ type, timestamp: new Date(START + timestamp_s * 1000).toISOString(), step_id: step_id ?? null, payload }))
}

async function report(id: string, events: PlanEvent[]) {
  for (let i = 0; i < events.length; i += 500) {
    const reply = await h.request('POST', `/api/deployments/${id}/events/batch`, { body: { events: reportsOf(events.slice(i, i + 500)) }, headers: t.asAgent })
    expect(reply.status).toBe(200)
  }
}

async function planOf(planData: unknown, label = 'example', missionId = t.missionId) {
  const plan = await h.request('POST', '/api/plans', { body: { mission_id: missionId, label, satellite_id: '25544', plan_data: planData }, headers: t.asKey })
  expect(plan.status).toBe(201)
  return plan.body.id as string
}

async function liveDeployment(planId = t.planId) {
  const reply = await h.request('POST', '/api/deployments', { body: { plan_id: planId, mode: 'live' }, headers: t.asKey })
  return reply.body.id as string
}

async function waitForStatus(id: string, status: string) {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const d = await h.request('GET', `/api/deployments/${id}`, { headers: t.asKey })
    if (d.body.status === status) return d.body
    await Bun.sleep(20)
  }
  throw new Error(`${id} never became ${status}`)
}

const count = (html: string, pattern: RegExp) => html.match(pattern)?.length ?? 0
/** The rows of the events table. */
const rowsOf = (html: string) => count(html.slice(html.indexOf('id="events"')), /<tr data-id="/g)
const islandDataOf = (html: string) => JSON.parse(/<script type="application\/json" id="deployment-data">(.*?)<\/script>/s.exec(html)![1]!)
const hrefOf = (html: string, text: string) => new RegExp(`href="([^"]*)"[^>]*>${text}`).exec(html)?.[1]?.replaceAll('&amp;', '&')

describe('the deployment page', () => {
  test('the example plan, played by the simulated replay: status, facts, a timeline with a lane per step, every event in the table', async () => {
    const planId = await planOf(examplePlan)
    const created = await h.request('POST', '/api/deployments', { body: { plan_id: planId, speed_multiplier: 10000 }, headers: t.asKey })
    const id = created.body.id as string
    await waitForStatus(id, 'completed')
    const reply = await page(h, `/deployments/${id}`, cookie)
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-security-policy')).toContain("script-src 'self'")
    const html = reply.text
    expect(html).toContain('data-status="completed"')
    expect(html).toContain('simulated')
    expect(html).toContain('ISS ML Pipeline')
    expect(html).toContain('<svg id="timeline"')
    expect(count(html, /class="tl-lane-row"/g)).toBe(4)
    for (const step of ['capture', 'preprocess', 'inference', 'downlink']) expect(html).toContain(`<title>${step}</title>`)
    expect(html).toContain('class="tl-bar tl-onboard tl-completed"')
    expect(html).toContain('class="tl-bar tl-transfer tl-completed"')
    expect(html).toContain('pass over Svalbard')
    expect(html).toContain('>Fairbanks</text>')
    expect(html).toContain('Job accepted at 0:00')
    expect(html).toContain('Job completed at 23:02')
    expect(html).toContain('Step run on board')
    expect(html).not.toMatch(/\sstyle="/)
    expect(rowsOf(html)).toBe(28)
    expect(html).toContain('<details><summary>Pass over Svalbard</summary>')
    expect(html).toContain(`href="/api/deployments/${id}/events/export?format=ndjson"`)
    expect(html).toContain(`href="/api/deployments/${id}/events/export?format=csv"`)
    expect(html).not.toContain('Cancel deployment…')
    const data = islandDataOf(html)
    expect(data.after).toBe(28)
    expect(data.events).toHaveLength(28)
    expect(data.table.last).toBe(true)
  })

  test("another user's deployment and an unknown one are the API's 404, in words", async () => {
    const other = await createTenant(h)
    const theirs = await other.createDeployment('live')
    const api = await h.request('GET', `/api/deployments/${theirs}`, { headers: t.asKey })
    expect(api.status).toBe(404)
    for (const url of [`/deployments/${theirs}`, '/deployments/dep-nope', `/deployments/${theirs}/cancel`]) {
      const reply = await page(h, url, cookie)
      expect(reply.status).toBe(404)
      expect(reply.text).toContain(api.body.error)
      expect(reply.text).not.toContain('id="timeline"')
    }
    const form = await page(h, '/', cookie)
    const cancel = await postForm(h, `/deployments/${theirs}/cancel`, { csrf: csrfOf(form.text) }, cookie)
    expect(cancel.status).toBe(404)
    expect((await h.request('GET', `/api/deployments/${theirs}`, { headers: other.asKey })).body.status).toBe('pending')
  })

  test('a running deployment: open bars, a cancel link, and the resume point of its stream', async () => {
    const id = await liveDeployment(await planOf(examplePlan))
    await report(id, examplePlan.events.slice(0, 10) as PlanEvent[]) // up to preprocess started
    const html = (await page(h, `/deployments/${id}`, cookie)).text
    expect(html).toContain('data-status="running"')
    expect(html).toContain('class="tl-bar tl-onboard tl-running tl-open"')
    expect(html).toContain('class="tl-now"')
    expect(html).toContain(`href="/deployments/${id}/cancel"`)
    const data = islandDataOf(html)
    expect(data.after).toBe(10)
    // What the island opens: the stream after that count sends the next events and no earlier one.
    await report(id, examplePlan.events.slice(10, 12) as PlanEvent[])
    const stream = await h.app.handle(new Request(`http://localhost/api/deployments/${id}/events/stream?after=${data.after}`, { headers: { cookie } }))
    expect(stream.status).toBe(200)
    const reader = new SseReader(stream)
    const messages = await reader.messages(3)
    reader.cancel()
    expect(messages[0]!.event).toBe('status')
    expect(messages.slice(1).map((m) => [m.id, JSON.parse(m.data!).event_type])).toEqual([
      ['11', 'step.progress'],
      ['12', 'step.completed'],
    ])
  })

  test('cancel: a confirmation, the form token, 303 back to the page, then the API’s 409 in words', async () => {
    const id = await liveDeployment()
    const first = await page(h, `/deployments/${id}`, cookie)
    expect(first.text).toContain('data-status="pending"')
    const confirm = await page(h, hrefOf(first.text, 'Cancel deployment…')!, cookie)
    expect(confirm.status).toBe(200)
    expect(confirm.text).toContain(`Cancel deployment <span class="mono">${id}</span>?`)
    expect(confirm.text).toMatch(/<button type="submit" class="danger">Cancel deployment<\/button>/)
    expect(confirm.text).toContain(`<a href="/deployments/${id}">Keep it</a>`)
    expect(confirm.text).toContain(`action="/deployments/${id}/cancel"`)
    expect((await postForm(h, `/deployments/${id}/cancel`, {}, cookie)).status).toBe(403)
    expect((await postForm(h, `/deployments/${id}/cancel`, { csrf: csrfOf(confirm.text) }, cookie, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect((await h.request('GET', `/api/deployments/${id}`, { headers: t.asKey })).body.status).toBe('pending')
    const done = await postForm(h, `/deployments/${id}/cancel`, { csrf: csrfOf(confirm.text) }, cookie)
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe(`/deployments/${id}?cancelled=1`)
    const after = await page(h, done.headers.get('location')!, cookie)
    expect(after.text).toContain('data-status="cancelled"')
    expect(after.text).toContain('Deployment cancelled.')
    expect(after.text).not.toContain('Cancel deployment…')
    const again = await postForm(h, `/deployments/${id}/cancel`, { csrf: csrfOf(confirm.text) }, cookie)
    expect(again.status).toBe(409)
    expect(again.text).toContain('deployment is already cancelled')
    expect(again.text).toContain('role="alert"')
    const ended = await page(h, `/deployments/${id}/cancel`, cookie)
    expect(ended.text).toContain('This deployment is already cancelled: there is nothing to cancel.')
    expect(ended.text).not.toContain('<button type="submit" class="danger"')
  })

  test('filters: choices from the types and steps seen, a prefix, export links that carry them, the API’s 400 next to the filter', async () => {
    const id = await liveDeployment(await planOf(examplePlan))
    await report(id, examplePlan.events as PlanEvent[])
    const all = (await page(h, `/deployments/${id}`, cookie)).text
    expect(all).toContain('<option value="transfer.*">transfer.* (all transfer events)</option>')
    expect(all).toContain('<option value="transfer.pass_started">')
    expect(all).toContain('<option value="downlink">downlink</option>')
    const transfers = await page(h, `/deployments/${id}?type=transfer.*`, cookie)
    expect(transfers.status).toBe(200)
    expect(rowsOf(transfers.text)).toBe(8)
    expect(transfers.text).toContain('<option value="transfer.*" selected>')
    expect(transfers.text).toContain(`href="/api/deployments/${id}/events/export?format=csv&amp;type=transfer.*"`)
    expect(transfers.text).toContain('Clear filters')
    // The timeline still shows the whole run.
    expect(count(transfers.text, /class="tl-lane-row"/g)).toBe(4)
    const steps = await page(h, `/deployments/${id}?type=step.progress&step_id=inference`, cookie)
    expect(rowsOf(steps.text)).toBe(3)
    expect(steps.text).toContain('<option value="inference" selected>')
    expect(steps.text).toContain('&amp;step_id=inference')
    const none = await page(h, `/deployments/${id}?step_id=nowhere`, cookie)
    expect(none.text).toContain('No event matches these filters.')
    expect(none.text).toContain('<option value="nowhere" selected>')
    const bad = await page(h, `/deployments/${id}?type=Job.*`, cookie)
    expect(bad.status).toBe(400)
    const api = await h.request('GET', `/api/deployments/${id}/events?type=Job.*`, { headers: t.asKey })
    expect(bad.text).toContain(`<p class="error" role="alert" id="filter-type-error">${api.body.error.replaceAll('"', '&quot;')}</p>`)
    expect(bad.text).toContain('aria-describedby="filter-type-error"')
    expect(bad.text).toContain('<svg id="timeline"')
  })

  test('paging: Next and First links carry the cursor and the filters; a cursor of other filters is the API’s 400', async () => {
    const id = await liveDeployment(await planOf(examplePlan))
    const events: PlanEvent[] = [{ type: 'job.accepted', timestamp_s: 0 }]
    for (let i = 1; i <= 119; i++) events.push({ type: 'step.progress', timestamp_s: i, step_id: 's', percent: i % 100 })
    await report(id, events)
    const one = (await page(h, `/deployments/${id}`, cookie)).text
    expect(rowsOf(one)).toBe(50)
    expect(one).not.toContain('First page')
    const next = hrefOf(one, 'Next page →')!
    expect(next).toMatch(new RegExp(`^/deployments/${id}\\?cursor=`))
    const two = (await page(h, next, cookie)).text
    expect(rowsOf(two)).toBe(50)
    expect(hrefOf(two, '← First page')).toBe(`/deployments/${id}`)
    expect(islandDataOf(two).table).toMatchObject({ last: false, paged: true })
    const three = (await page(h, hrefOf(two, 'Next page →')!, cookie)).text
    expect(rowsOf(three)).toBe(20)
    expect(three).not.toContain('Next page →')
    expect(islandDataOf(three).table).toMatchObject({ last: true, paged: true })
    const filtered = (await page(h, `/deployments/${id}?step_id=s`, cookie)).text
    const filteredNext = hrefOf(filtered, 'Next page →')!
    expect(filteredNext).toContain('step_id=s&cursor=')
    expect(rowsOf((await page(h, filteredNext, cookie)).text)).toBe(50)
    const mixed = await page(h, filteredNext.replace('step_id=s&', ''), cookie)
    expect(mixed.status).toBe(400)
    expect(mixed.text).toContain('cursor')
    expect(mixed.text).toContain('role="alert"')
  })

  test('hostile text in mission, plan, step ids and payloads is shown inert', async () => {
    const XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'javascript:alert(1)']
    const mission = await h.request('POST', '/api/missions', { body: { name: XSS[0], description: XSS[1] }, headers: t.asKey })
    const planId = await planOf({ events: [{ type: 'job.accepted', timestamp_s: 0 }] }, XSS[1], mission.body.id)
    const id = await liveDeployment(planId)
    const events: PlanEvent[] = []
    for (const [i, text] of XSS.entries()) {
      events.push({ type: 'placement.decided', timestamp_s: i, step_id: text, location: text })
      events.push({ type: 'step.started', timestamp_s: i + 1, step_id: text, message: text, [text]: text })
      events.push({ type: 'transfer.pass_started', timestamp_s: i + 2, step_id: text, station_name: text })
    }
    await report(id, events)
    for (const url of [`/deployments/${id}`, `/deployments/${id}?step_id=${encodeURIComponent(XSS[0]!)}`, `/deployments/${id}?type=${encodeURIComponent(XSS[1]!)}`, `/deployments/${id}/cancel`]) {
      const html = (await page(h, url, cookie)).text
      expect(html).not.toContain('<script>alert')
      expect(html).not.toContain('<img')
      expect(html).not.toMatch(/href="\s*javascript:/i)
      expect(html).not.toMatch(/src="\s*javascript:/i)
      expect(html).not.toMatch(/\sstyle="/)
    }
    const html = (await page(h, `/deployments/${id}`, cookie)).text
    expect(html).toContain('&lt;script>alert(1)&lt;/script>')
    expect(html).toContain('&quot;>&lt;img src=x onerror=alert(1)>')
    expect(html).toContain('<option value="javascript:alert(1)">javascript:alert(1)</option>')
    const data = islandDataOf(html)
    expect(data.deployment.mission_name).toBe(XSS[0])
    expect(data.events.map((e: { step_id: string }) => e.step_id)).toContain(XSS[1])
  })
})
