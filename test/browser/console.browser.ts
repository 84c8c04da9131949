// The console in a real browser (Debian's Chromium, playwright-core): what an operator does, asserted on
// the DOM as it changes, never on sleeps. Run by `npm run test:browser` and by .ci/run.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { ADMIN, ROOT, setUpOperator } from '../server/process'
import { tempDir } from '../helpers'
import { logIn, newPage, openStation, screenshot, type Station, type Watched } from './browser'
import { scriptedAgent } from './flow'

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
    expect(problems).toEqual([])
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

/** Submits the form `formId` of the page and waits for the page it leads to. */
async function submit(page: Page, formId: string) {
  await Promise.all([page.waitForEvent('load'), page.locator(`#${formId} button[type="submit"]`).click()])
}

describe('an operator’s day', () => {
  const operatorEmail = 'flight@station.test'
  let password = 'first password, long'
  let watched: Watched
  let page: Page
  let agentKey = ''
  const files = tempDir('gc-browser-files-')
  beforeAll(async () => {
    const created = await operator.post('/api/users', { email: operatorEmail, password, name: 'Flight Director', role: 'operator' }, { cookie: operator.cookie })
    expect(created.id).toStartWith('usr-')
    watched = await newPage(station)
    page = watched.page
  })
  afterAll(async () => {
    await watched?.context.close()
    files.remove()
  })
  afterEach(() => {
    // No console error, CSP violation, uncaught exception, failed asset or outside fetch on any page so far.
    expect(watched.problems).toEqual([])
  })

  test('logs in and changes the password', async () => {
    await logIn(page, operatorEmail, password)
    await page.goto('/account')
    await page.fill('#password-form input[name="current_password"]', 'not it at all')
    await page.fill('#password-form input[name="new_password"]', 'second password, longer')
    await submit(page, 'password-form')
    // The API's own words, next to the field they name.
    await expect(page.locator('#f-current_password-error').textContent()).resolves.toContain('current_password')
    await page.fill('#password-form input[name="current_password"]', password)
    await page.fill('#password-form input[name="new_password"]', 'second password, longer')
    await submit(page, 'password-form')
    await page.getByText('Password changed').waitFor()
    password = 'second password, longer'
    await screenshot(page, 'account-light')
  })

  test('creates an API key and sees it once', async () => {
    await page.goto('/keys')
    await page.fill('#new-key-form input[name="name"]', 'station-7')
    await submit(page, 'new-key-form')
    agentKey = ((await page.locator('#new-key').textContent()) ?? '').trim()
    expect(agentKey).toMatch(/^rs_live_[A-Za-z0-9]{32,}$/)
    await page.locator('button[data-copy-target="new-key"]').waitFor({ state: 'visible' })
    await screenshot(page, 'keys-created-light')
    await page.goto('/keys')
    expect(await page.content()).not.toContain(agentKey)
    await page.locator('#keys tr', { hasText: 'station-7' }).waitFor()
  })

  test('a bad plan file is refused in words next to the file field', async () => {
    await page.goto('/missions')
    await page.fill('#new-mission-form input[name="name"]', 'Flow mission')
    await submit(page, 'new-mission-form')
    const bad = join(files.path, 'bad-plan.json')
    writeFileSync(bad, '{"events": [\n  {"type": "job.accepted", "timestamp_s": 0},\n]}')
    await page.locator('#f-plan_source-file').check()
    await page.setInputFiles('#new-plan-form input[name="plan_file"]', bad)
    await page.fill('#new-plan-form input[name="label"]', 'Broken')
    await page.fill('#new-plan-form input[name="satellite_id"]', '25544')
    await submit(page, 'new-plan-form')
    const error = await page.locator('#new-plan-form [role="alert"]').first().textContent()
    expect(error).toContain('line 3')
  })

  test('uploads the example plan', async () => {
    const example = join(files.path, 'onboard-ml-inference.json')
    writeFileSync(example, await Bun.file(join(ROOT, 'src/examples/onboard-ml-inference.json')).text())
    await page.goto('/missions')
    await page.locator('#f-plan_source-file').check()
    await page.setInputFiles('#new-plan-form input[name="plan_file"]', example)
    await page.fill('#new-plan-form input[name="label"]', 'On-board ML inference')
    await page.fill('#new-plan-form input[name="satellite_id"]', '25544')
    await submit(page, 'new-plan-form')
    await page.getByText('On-board ML inference').first().waitFor()
    await screenshot(page, 'missions-light')
  })

  test('an agent with the new key shows on the agents page with its sparklines', async () => {
    const agent = scriptedAgent(station.url, agentKey, 'sat-25544')
    await agent.register('25544')
    for (let i = 0; i < 8; i++) await agent.telemetry(90 - i * 3, 20 + (i % 4))
    await page.goto('/agents')
    const row = page.locator('tr', { hasText: 'sat-25544' })
    await row.locator('svg[data-spark]').first().waitFor()
    expect(await row.locator('svg[data-spark]').count()).toBe(2)
    await screenshot(page, 'agents-light')
  })
})
