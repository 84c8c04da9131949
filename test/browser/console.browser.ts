// The console in a real browser (Debian's Chromium, playwright-core): what an operator does, asserted on
// the DOM as it changes, never on sleeps. Run by `npm run test:browser` and by .ci/run.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ADMIN, setUpOperator } from '../server/process'
import { logIn, newPage, openStation, screenshot, type Station } from './browser'

let station: Station
let operator: Awaited<ReturnType<typeof setUpOperator>>
beforeAll(async () => {
  station = await openStation()
  operator = await setUpOperator(station.url)
})
afterAll(() => station?.close())

describe('logging in', () => {
  test('keyboard only: the email field has focus, Tab to the password, Enter submits; focus is visible', async () => {
    const { page, problems, context } = await newPage(station)
    await page.goto('/login')
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('email')
    await page.keyboard.type(ADMIN.email)
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('password')
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)
    expect(outline).not.toBe('none')
    await page.keyboard.type(ADMIN.password)
    await page.keyboard.press('Enter')
    await page.waitForURL((url) => url.pathname === '/')
    await page.getByRole('heading', { name: 'Deployments' }).waitFor()
    expect(problems).toEqual([])
    await context.close()
  })

  test('a wrong password is said in words next to the form', async () => {
    const { page, problems, context } = await newPage(station)
    await page.goto('/login')
    await page.fill('input[name="email"]', ADMIN.email)
    await page.fill('input[name="password"]', 'not the password')
    await page.click('button[type="submit"]')
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong email or password')
    expect(problems.filter((p) => !p.includes('401'))).toEqual([])
    await context.close()
  })
})

describe('the deployments list', () => {
  test('a deployment created elsewhere appears without a reload, and its status and count follow', async () => {
    const { page, problems, context } = await newPage(station)
    await logIn(page, ADMIN.email, ADMIN.password)
    await page.locator('[data-live-state][data-state="live"]').waitFor()
    const mission = await operator.post('/api/missions', { name: 'Live list' }, operator.asKey)
    const plan = await operator.post(
      '/api/plans',
      { mission_id: mission.id, label: 'List plan', satellite_id: 'sat-list', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } },
      operator.asKey,
    )
    const deployment = await operator.post('/api/deployments', { plan_id: plan.id, mode: 'live' }, operator.asKey)
    const row = page.locator(`#deployments tr[data-id="${deployment.id}"]`)
    await row.locator('[data-status="pending"]').waitFor()
    await operator.post(`/api/deployments/${deployment.id}/events`, { type: 'job.accepted', timestamp: '2026-03-07T12:00:00Z', job_id: 'j', payload: {} }, operator.asAgent)
    await row.locator('[data-status="running"]').waitFor()
    await page.waitForFunction((id) => document.querySelector(`#deployments tr[data-id="${id}"] td.num`)?.textContent === '1', deployment.id)
    await screenshot(page, 'deployments-light')
    expect(problems).toEqual([])
    await context.close()
  })
})
