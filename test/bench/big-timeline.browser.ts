// Measurement (not part of any suite): a deployment of 5 000 events in a real browser: how long the main thread is blocked when the
// island starts and at each redraw while events keep arriving. Every redraw (at most one per 150 ms,
// client/deployment.tsx:171) rebuilds the whole model from every event and re-renders the whole SVG (all
// lanes in "fit"), the summary and the table. Run alone:
//   bun test --timeout 300000 ./test/bench/big-timeline.browser.ts
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { ADMIN, setUpOperator } from '../server/process'
import { logIn, newPage, openStation, SCREENSHOTS, type Station } from '../browser/browser'

let station: Station
let operator: Awaited<ReturnType<typeof setUpOperator>>
beforeAll(async () => {
  station = await openStation()
  operator = await setUpOperator(station.url)
})
afterAll(() => station?.close())

const START = Date.UTC(2026, 2, 7, 12)

async function liveDeployment(events: any[]) {
  const mission = await operator.post('/api/missions', { name: 'big' }, operator.asKey)
  const plan = await operator.post('/api/plans', { mission_id: mission.id, label: 'big', satellite_id: 'big', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, operator.asKey)
  const d = await operator.post('/api/deployments', { plan_id: plan.id, mode: 'live' }, operator.asKey)
  for (let i = 0; i < events.length; i += 500) await operator.post(`/api/deployments/${d.id}/events/batch`, { events: events.slice(i, i + 500) }, operator.asAgent)
  return d.id
}

async function measure(label: string, id: string, more: (i: number) => any) {
  const { page, context } = await newPage(station)
  await logIn(page, ADMIN.email, ADMIN.password)
  await page.addInitScript(() => {
    ;(window as any).__long = []
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) (window as any).__long.push(Math.round(e.duration))
    }).observe({ type: 'longtask', buffered: true })
  })
  const t0 = Date.now()
  await page.goto(`/deployments/${id}`)
  await page.locator('[data-live-state][data-state="live"]').waitFor({ timeout: 60_000 })
  const load = Date.now() - t0
  const atLoad = await page.evaluate(() => (window as any).__long.splice(0))
  for (let i = 0; i < 30; i++) {
    await operator.post(`/api/deployments/${id}/events`, more(i), operator.asAgent)
    await Bun.sleep(100)
  }
  await page.waitForTimeout(1000)
  const live = await page.evaluate(() => (window as any).__long.splice(0))
  const nodes = await page.evaluate(() => document.getElementsByTagName('*').length)
  console.log(label, { loadMs: load, longTasksAtLoad: atLoad, longTasksWhile30EventsArrive: live.length, worstLiveMs: Math.max(0, ...live), totalBlockedMs: live.reduce((a: number, b: number) => a + b, 0), domNodes: nodes })
  await context.close()
  return live as number[]
}

test('5 000 events over 2 500 steps, then 30 more arriving live', async () => {
  const events = Array.from({ length: 5000 }, (_, i) => ({ type: i % 2 ? 'step.completed' : 'step.started', timestamp: new Date(START + i * 1000).toISOString(), job_id: 'j', step_id: `step-${Math.floor(i / 2)}`, payload: { location: 'onboard' } }))
  const id = await liveDeployment(events)
  const live = await measure('2500 steps', id, (i) => ({ type: 'step.started', timestamp: new Date(START + (5000 + i) * 1000).toISOString(), job_id: 'j', step_id: `late-${i}`, payload: {} }))
  expect(Math.max(0, ...live)).toBeLessThan(200)
}, 300_000)

test('5 000 transfer.pass_completed in one lane, then 30 more arriving live', async () => {
  const events = Array.from({ length: 5000 }, (_, i) => ({ type: 'transfer.pass_completed', timestamp: new Date(START + i * 1000).toISOString(), job_id: 'j', step_id: 'downlink', payload: { ground_station: `gs-${i}` } }))
  const id = await liveDeployment(events)
  const live = await measure('5000 passes', id, (i) => ({ type: 'transfer.pass_completed', timestamp: new Date(START + (5000 + i) * 1000).toISOString(), job_id: 'j', step_id: 'downlink', payload: { ground_station: `late-${i}` } }))
  expect(Math.max(0, ...live)).toBeLessThan(200)
}, 300_000)

// Added with the fix (docs/console.md "Deployment page and timeline"): the island draws only the lanes in
// the chart frame's view, and the lanes come as the frame scrolls; failed, started again and crowded
// marks look different apart from colour (a screenshot, timeline-marks.png, to look at).
test('only the lanes in the frame’s view are drawn; scrolling the frame draws the others', async () => {
  const events = [
    ...Array.from({ length: 800 }, (_, i) => ({ type: i % 2 ? 'step.completed' : 'step.started', timestamp: new Date(START + i * 1000).toISOString(), job_id: 'j', step_id: `step-${Math.floor(i / 2)}`, payload: { location: 'onboard' } })),
  ]
  const id = await liveDeployment(events)
  const { page, context, problems } = await newPage(station)
  await logIn(page, ADMIN.email, ADMIN.password)
  await page.goto(`/deployments/${id}`)
  await page.locator('[data-live-state][data-state="live"]').waitFor({ timeout: 60_000 })
  const rows = page.locator('#timeline g.tl-lane-row')
  const drawn = await rows.count()
  console.log('lanes drawn of 400:', drawn)
  expect(drawn).toBeLessThan(100)
  expect(await page.locator('#timeline .tl-label title', { hasText: /^step-399$/ }).count()).toBe(0)
  await page.locator('.tl-frame').evaluate((frame) => frame.scrollTo(0, frame.scrollHeight))
  await page.locator('#timeline .tl-label title', { hasText: /^step-399$/ }).waitFor({ state: 'attached' })
  expect(await rows.count()).toBeLessThan(100)
  expect(await page.locator('#timeline .tl-label title', { hasText: /^step-0$/ }).count()).toBe(0)
  // The window line the keys change is announced.
  await page.locator('#timeline').focus()
  await page.keyboard.press('+')
  expect(await page.locator('.tl-range').getAttribute('aria-live')).toBe('polite')
  expect(await page.locator('.tl-range').textContent()).toContain('%')
  expect(problems).toEqual([])
  await context.close()
}, 300_000)

test('failed, started again, open and crowded marks: a screenshot', async () => {
  const t = (s: number) => new Date(START + s * 1000).toISOString()
  const e = (type: string, s: number, step: string, payload: object = { location: 'onboard' }) => ({ type, timestamp: t(s), job_id: 'j', step_id: step, payload })
  const events = [
    e('step.started', 0, 'completed'),
    e('step.completed', 300, 'completed'),
    e('step.started', 0, 'failed'),
    e('step.failed', 300, 'failed'),
    e('step.started', 0, 'started-again'),
    e('step.started', 200, 'started-again'),
    e('step.completed', 300, 'started-again'),
    e('step.started', 100, 'running'),
    ...Array.from({ length: 300 }, (_, i) => e('transfer.pass_completed', 400 + i, 'many-passes', { ground_station: `gs-${i % 4}` })),
    ...Array.from({ length: 300 }, (_, i) => e(i % 2 ? 'step.failed' : 'step.started', 400 + i, 'many-runs')),
  ]
  const id = await liveDeployment(events)
  const { page, context, problems } = await newPage(station)
  await logIn(page, ADMIN.email, ADMIN.password)
  await page.goto(`/deployments/${id}`)
  await page.locator('[data-live-state][data-state="live"]').waitFor({ timeout: 60_000 })
  await page.locator('#timeline-heading').scrollIntoViewIfNeeded()
  await page.locator('section[aria-labelledby="timeline-heading"]').screenshot({ path: `${SCREENSHOTS}/timeline-marks.png` })
  expect(await page.locator('#timeline .tl-failed .tl-end-mark').count()).toBe(1)
  expect(await page.locator('#timeline .tl-interrupted .tl-end-mark').count()).toBe(1)
  expect(await page.locator('#timeline .tl-pass.tl-many').count()).toBeGreaterThanOrEqual(1)
  expect(await page.locator('#timeline .tl-bar.tl-many').count()).toBeGreaterThanOrEqual(1)
  expect(problems).toEqual([])
  await context.close()
}, 300_000)
