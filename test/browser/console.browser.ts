// The console in a real browser (Debian's Chromium, playwright-core): what an operator does, asserted on
// the DOM as it changes, never on sleeps. Run by `npm run test:browser` and by .ci/run.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { ADMIN, ROOT, setUpOperator } from '../server/process'
import { tempDir } from '../helpers'
import { logIn, newPage, openStation, screenshot, SCREENSHOTS, type Station, type Watched } from './browser'
import { scriptedAgent } from './flow'
import { seedHostile } from '../console/hostile'

let station: Station
let operator: Awaited<ReturnType<typeof setUpOperator>>
beforeAll(async () => {
  station = await openStation()
  operator = await setUpOperator(station.url)
})
afterAll(() => station?.close())

describe('the deployments list, live', () => {
  test('a change made while the page is still loading its script is not missed', async () => {
    const { page, problems, context } = await newPage(station)
    await logIn(page, ADMIN.email, ADMIN.password)
    const mission = await operator.post('/api/missions', { name: 'Gap' }, operator.asKey)
    const plan = await operator.post('/api/plans', { mission_id: mission.id, label: 'Gap plan', satellite_id: 'sat-gap', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, operator.asKey)
    const deployment = await operator.post('/api/deployments', { plan_id: plan.id, mode: 'live' }, operator.asKey)
    // Hold the browser bundle until the deployment has been cancelled: the page shows it pending.
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    await page.route('**/assets/console.js*', async (route) => {
      await held
      await route.continue()
    })
    await page.goto('/', { waitUntil: 'commit' })
    await page.locator(`#deployments tr[data-id="${deployment.id}"] [data-status="pending"]`).waitFor()
    await operator.post(`/api/deployments/${deployment.id}/cancel`, {}, operator.asKey)
    release()
    await page.locator(`#deployments tr[data-id="${deployment.id}"] [data-status="cancelled"]`).waitFor()
    expect(problems).toEqual([])
    await context.close()
  })

  test('a logout elsewhere stops the live list, and it says so', async () => {
    const { page, problems, context } = await newPage(station)
    await logIn(page, ADMIN.email, ADMIN.password)
    await page.locator('[data-live-state][data-state="live"]').waitFor()
    const cookie = (await context.cookies()).find((c) => c.name === 'session')!
    await fetch(`${station.url}/api/auth/logout`, { method: 'POST', headers: { cookie: `session=${cookie.value}` } })
    await page.locator('[data-live-state][data-state="stopped"]').waitFor({ timeout: 30_000 })
    expect(await page.locator('[data-live-state]').textContent()).toContain('reload the page')
    // The stream's 401 is the only failure, and it is expected.
    expect(problems.filter((p) => !p.includes('/api/deployments/stream'))).toEqual([])
    await context.close()
  })
})

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

describe('archiving, live', () => {
  test('a finished deployment archived from its page leaves the live list of another tab, and restoring brings it back', async () => {
    const { page, problems, context } = await newPage(station)
    await logIn(page, ADMIN.email, ADMIN.password)
    await page.locator('[data-live-state][data-state="live"]').waitFor()
    const mission = await operator.post('/api/missions', { name: 'Archive' }, operator.asKey)
    const plan = await operator.post('/api/plans', { mission_id: mission.id, label: 'Archive plan', satellite_id: 'sat-arch', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, operator.asKey)
    const deployment = await operator.post('/api/deployments', { plan_id: plan.id, mode: 'live' }, operator.asKey)
    await operator.post(`/api/deployments/${deployment.id}/cancel`, {}, operator.asKey)
    const row = page.locator(`#deployments tr[data-id="${deployment.id}"]`)
    await row.locator('[data-status="cancelled"]').waitFor()
    // The deployment's own page, in a second tab: its archive form.
    const tab = await context.newPage()
    await tab.goto(`/deployments/${deployment.id}`)
    await Promise.all([tab.waitForEvent('load'), tab.locator('[data-archive-form] button[type="submit"]').click()])
    await tab.getByText('Deployment archived.').waitFor()
    await row.waitFor({ state: 'detached' })
    await Promise.all([tab.waitForEvent('load'), tab.locator('[data-archive-form] button[type="submit"]').click()])
    await tab.getByText('Deployment restored from the archive.').waitFor()
    await row.locator('[data-status="cancelled"]').waitFor()
    expect(problems).toEqual([])
    await context.close()
  })
})

/** Submits the form `formId` of the page and waits for the page it leads to. */
async function submit(page: Page, formId: string) {
  await Promise.all([page.waitForEvent('load'), page.locator(`#${formId} button[type="submit"]`).click()])
}

/** Starts a live deployment of the example plan from the deployments page's form. */
async function startLive(page: Page) {
  await page.goto('/')
  const value = await page.locator('#f-plan_id option', { hasText: 'On-board ML inference' }).first().getAttribute('value')
  await page.selectOption('#f-plan_id', value!)
  await page.locator('input[name="mode"][value="live"]').check()
  await submit(page, 'new-deployment-form')
  await page.waitForURL(/\/deployments\/dep-/)
}

describe('an operator’s day', () => {
  const operatorEmail = 'flight@station.test'
  let password = 'first password, long'
  let watched: Watched
  let page: Page
  let agentKey = ''
  let deploymentPage = ''
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
    // The account page also says what the user's events take (GET /api/usage).
    await expect(page.locator('#usage').textContent()).resolves.toContain('no storage quota')
    await screenshot(page, 'account-light')
  })

  test('creates an API key of scope agent for the satellite and sees it once', async () => {
    await page.goto('/keys')
    await page.fill('#new-key-form input[name="name"]', 'station-7')
    // The satellite's key may do what an agent does and nothing else (docs/api.md §1 "Key scopes").
    await page.selectOption('#f-scope', 'agent')
    await submit(page, 'new-key-form')
    await page.getByText('Environment live, scope agent.').waitFor()
    agentKey = ((await page.locator('#new-key').textContent()) ?? '').trim()
    expect(agentKey).toMatch(/^rs_live_[A-Za-z0-9]{32,}$/)
    await page.locator('button[data-copy-target="new-key"]').waitFor({ state: 'visible' })
    await screenshot(page, 'keys-created-light')
    await page.goto('/keys')
    expect(await page.content()).not.toContain(agentKey)
    await page.locator('#keys tr', { hasText: 'station-7' }).locator('td[data-scope="agent"]').waitFor()
    // Out of its scope, the key is refused.
    expect((await fetch(`${station.url}/api/deployments`, { headers: { 'x-api-key': agentKey } })).status).toBe(403)
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

  test('starts a simulated deployment of the example plan and watches it grow live until completed', async () => {
    await page.goto('/missions')
    await page.locator('a', { hasText: 'On-board ML inference' }).first().click()
    await page.waitForURL(/\/plans\//)
    await page.fill('#start-deployment-form input[name="speed_multiplier"]', '120')
    await submit(page, 'start-deployment-form')
    await page.waitForURL(/\/deployments\/dep-/)
    // A mark on the window: still there at the end, so nothing below came from a reload.
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true))
    const rows = '#events tbody tr'
    const lanes = '#timeline g.tl-lane-row'
    // Part of the run is on the page while it is still running: it arrived live.
    await page.waitForFunction(
      ([rows, lanes]) => {
        const n = document.querySelectorAll(rows).length
        return n >= 3 && n < 28 && document.querySelectorAll(lanes).length >= 1 && document.querySelector('[data-status="running"]') !== null
      },
      [rows, lanes] as const,
      { timeout: 30_000 },
    )
    await screenshot(page, 'deployment-running-light')
    await page.locator('.summary [data-status="completed"], [data-status="completed"]').first().waitFor({ timeout: 40_000 })
    await page.waitForFunction((rows) => document.querySelectorAll(rows).length === 28, rows, { timeout: 10_000 })
    expect(await page.locator(lanes).count()).toBe(4)
    expect(await page.locator('#timeline .tl-marker-completed').count()).toBeGreaterThanOrEqual(1)
    expect(await page.locator('#timeline .tl-pass-label').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Svalbard'), expect.stringContaining('Fairbanks')]))
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true)
    deploymentPage = page.url()
    await screenshot(page, 'deployment-light')
    // The README's picture (docs/console-deployment.png is this one, made smaller): the top of the page.
    await page.screenshot({ path: join(SCREENSHOTS, 'readme-deployment.png'), clip: { x: 0, y: 0, width: 1280, height: 880 } })
  })

  test('filters the events by type', async () => {
    await page.goto(deploymentPage)
    await page.selectOption('#filter-type', 'transfer.pass_started')
    await Promise.all([page.waitForEvent('load'), page.locator('form[aria-label="Filter events"] button[type="submit"]').click()])
    expect(new URL(page.url()).searchParams.get('type')).toBe('transfer.pass_started')
    const types = await page.locator('#events tbody tr td:nth-child(3)').allTextContents()
    expect(types).toEqual(['transfer.pass_started', 'transfer.pass_started'])
  })

  test('starts a live deployment and sees the scripted agent drive it', async () => {
    await startLive(page)
    await page.locator('[data-status="pending"]').first().waitFor()
    const agent = scriptedAgent(station.url, agentKey, 'sat-25544')
    const work = await agent.poll()
    expect(work?.deployment_id).toBe(new URL(page.url()).pathname.split('/').pop())
    await page.locator('[data-status="dispatched"]').first().waitFor()
    const id = work!.deployment_id
    await agent.report(id, 'job.accepted')
    await page.locator('[data-status="running"]').first().waitFor()
    await agent.report(id, 'placement.decided', 'capture', { location: 'onboard' })
    await agent.report(id, 'step.started', 'capture', { location: 'onboard' })
    await page.locator('#timeline g.tl-lane-row').first().waitFor()
    await agent.report(id, 'step.progress', 'capture', { percent: 50 })
    await agent.report(id, 'step.completed', 'capture', { duration_s: 20 })
    await agent.report(id, 'job.completed', undefined, { status: 'success' })
    await page.locator('[data-status="completed"]').first().waitFor()
    await page.waitForFunction(() => document.querySelectorAll('#events tbody tr').length === 6)
  })

  test('cancels a deployment after confirming', async () => {
    await startLive(page)
    await Promise.all([page.waitForEvent('load'), page.locator('a', { hasText: 'Cancel deployment' }).click()])
    await page.getByRole('heading', { name: /Cancel deployment/ }).waitFor()
    await Promise.all([page.waitForEvent('load'), page.locator('form button[type="submit"].danger').click()])
    await page.locator('[data-status="cancelled"]').first().waitFor()
  })

  test('revokes the key: the agent is refused at once', async () => {
    await page.goto('/keys')
    const row = page.locator('#keys tr', { hasText: 'station-7' })
    await row.locator('summary').click()
    await Promise.all([page.waitForEvent('load'), row.locator('button[type="submit"]').click()])
    await page.locator('#keys tr[data-state="revoked"]', { hasText: 'station-7' }).waitFor()
    const refused = await fetch(`${station.url}/api/agent/workloads`, { headers: { 'x-api-key': agentKey, 'x-agent-id': 'sat-25544' } })
    expect(refused.status).toBe(401)
  })

  test('logs out', async () => {
    await Promise.all([page.waitForEvent('load'), page.locator('header form button', { hasText: 'Log out' }).click()])
    expect(new URL(page.url()).pathname).toBe('/login')
    await page.goto('/keys')
    expect(new URL(page.url()).pathname).toBe('/login')
  })
})

describe('managing users and the audit log', () => {
  test('an admin disables an operator behind Manage…, resets a password, and reads both in the audit log', async () => {
    const email = `night.${Date.now()}@station.test`
    const created = await operator.post('/api/users', { email, password: 'first password here', role: 'operator' }, { cookie: operator.cookie })
    const { page, problems, context } = await newPage(station)
    await logIn(page, ADMIN.email, ADMIN.password)
    await page.getByRole('link', { name: 'Users' }).click()
    const row = page.locator(`tr[data-id="${created.id}"]`)
    // The destructive buttons are behind the disclosure: not visible until it is opened.
    await expect(row.getByRole('button', { name: `Disable ${email}` }).isVisible()).resolves.toBe(false)
    await row.getByText('Manage…').click()
    await Promise.all([page.waitForURL((url) => url.searchParams.get('done') === 'disable'), row.getByRole('button', { name: `Disable ${email}` }).click()])
    await expect(page.getByRole('status').first().textContent()).resolves.toContain(`${email} is disabled`)
    await expect(page.locator(`tr[data-id="${created.id}"] td[data-status]`).getAttribute('data-status')).resolves.toBe('disabled')
    // A short password is refused next to its field, in words; then a good one goes through.
    const again = page.locator(`tr[data-id="${created.id}"]`)
    await again.getByText('Manage…').click()
    await again.getByLabel('New password').fill('short')
    await Promise.all([page.waitForEvent('load'), again.getByRole('button', { name: 'Reset the password' }).click()])
    await expect(page.locator(`tr[data-id="${created.id}"]`).getByRole('alert').textContent()).resolves.toContain('new_password: must be a string of 10 to 1024 characters')
    await page.locator(`tr[data-id="${created.id}"]`).getByLabel('New password').fill('a second long password')
    await Promise.all([page.waitForURL((url) => url.searchParams.get('done') === 'password'), page.locator(`tr[data-id="${created.id}"]`).getByRole('button', { name: 'Reset the password' }).click()])
    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.getByRole('heading', { name: 'Audit log' }).waitFor()
    const actions = await page.locator('#audit tbody tr').evaluateAll((rows) => rows.slice(0, 2).map((r) => r.getAttribute('data-action')))
    expect(actions).toEqual(['password.reset', 'user.disable'])
    await page.selectOption('#f-action', 'user.disable')
    await Promise.all([page.waitForEvent('load'), page.locator('#audit-filters button[type="submit"]').click()])
    expect(await page.locator('#audit tbody tr').evaluateAll((rows) => [...new Set(rows.map((r) => r.getAttribute('data-action')))])).toEqual(['user.disable'])
    await screenshot(page, 'audit-light')
    expect(problems).toEqual([])
    await context.close()
  })
})

describe('hostile values in the database', () => {
  test('render as text on every page: no dialog, no script run, no CSP violation', async () => {
    const call = async (method: string, path: string, body: unknown, headers: Record<string, string>) => {
      const reply = await fetch(`${station.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
      if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${await reply.text()}`)
      return reply.json()
    }
    const seeded = await seedHostile(call, operator.cookie, operator.key)
    const { page, problems, context } = await newPage(station)
    const dialogs: string[] = []
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await logIn(page, ADMIN.email, ADMIN.password)
    const pages = ['/', `/deployments/${seeded.deploymentId}`, '/agents', `/agents/${encodeURIComponent(seeded.agentIds[0]!)}`, '/missions', `/plans/${seeded.planId}`, '/keys', '/users', '/audit']
    for (const path of pages) {
      await page.goto(path)
      await page.waitForLoadState('load')
      // The hostile text is on the page, as text.
      expect(await page.locator('body').textContent(), path).toContain('<script>alert(1)</script>')
      expect(await page.locator('img').count(), path).toBe(0)
      expect(await page.locator('a[href^="javascript:" i]').count(), path).toBe(0)
      if (path.startsWith('/deployments/')) await screenshot(page, 'hostile-deployment-light')
    }
    expect(dialogs).toEqual([])
    expect(problems).toEqual([])
    await context.close()
  })
})

describe('the dark theme', () => {
  test('follows prefers-color-scheme; the main pages, saved as screenshots', async () => {
    const { page, problems, context } = await newPage(station, { colorScheme: 'dark' })
    await logIn(page, ADMIN.email, ADMIN.password)
    const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)
    expect(background).toBe('rgb(14, 17, 22)')
    // A run of the example plan, played at full speed, for the deployment page's picture.
    const examplePlan = JSON.parse(await Bun.file(join(ROOT, 'src/examples/onboard-ml-inference.json')).text())
    const mission = await operator.post('/api/missions', { name: 'ISS ML pipeline' }, operator.asKey)
    const plan = await operator.post('/api/plans', { mission_id: mission.id, label: 'On-board ML inference', satellite_id: '25544', plan_data: examplePlan }, operator.asKey)
    const completed = await operator.post('/api/deployments', { plan_id: plan.id, speed_multiplier: 10000 }, operator.asKey)
    for (const [name, path] of [
      ['deployments', '/'],
      ['agents', '/agents'],
      ['missions', '/missions'],
      ['keys', '/keys'],
      ['users', '/users'],
      ['account', '/account'],
      ['deployment', `/deployments/${completed.id}`],
    ] as const) {
      await page.goto(path)
      if (name === 'deployment') await page.locator('[data-status="completed"]').first().waitFor()
      await screenshot(page, `${name}-dark`)
    }
    expect(problems).toEqual([])
    await context.close()
  })
})

describe('without JavaScript', () => {
  test('every page reads, and the forms work: log in, open a run with its timeline, filter its events', async () => {
    const { page, problems, context } = await newPage(station, { javaScriptEnabled: false })
    await logIn(page, ADMIN.email, ADMIN.password)
    const examplePlan = JSON.parse(await Bun.file(join(ROOT, 'src/examples/onboard-ml-inference.json')).text())
    const mission = await operator.post('/api/missions', { name: 'No script' }, operator.asKey)
    const plan = await operator.post('/api/plans', { mission_id: mission.id, label: 'No-script plan', satellite_id: '25544', plan_data: examplePlan }, operator.asKey)
    const run = await operator.post('/api/deployments', { plan_id: plan.id, speed_multiplier: 10000 }, operator.asKey)
    for (let i = 0; i < 50; i++) {
      const d = await (await fetch(`${station.url}/api/deployments/${run.id}`, { headers: operator.asKey })).json()
      if ((d as { status: string }).status === 'completed') break
      await Bun.sleep(100)
    }
    for (const path of ['/', '/agents', '/missions', `/plans/${plan.id}`, '/keys', '/users', '/audit', '/account']) {
      await page.goto(path)
      expect(await page.locator('main h1').count(), path).toBe(1)
    }
    await page.goto(`/deployments/${run.id}`)
    await page.locator('[data-status="completed"]').first().waitFor()
    // The server's own timeline: every lane is there without a script.
    expect(await page.locator('#timeline g.tl-lane-row').count()).toBe(4)
    expect(await page.locator('#events tbody tr').count()).toBe(28)
    await page.selectOption('#filter-type', 'step.*')
    await Promise.all([page.waitForEvent('load'), page.locator('form[aria-label="Filter events"] button[type="submit"]').click()])
    const types = await page.locator('#events tbody tr td:nth-child(3)').allTextContents()
    expect(types.length).toBe(11)
    expect(types.every((t) => t.startsWith('step.'))).toBe(true)
    expect(problems).toEqual([])
    await context.close()
  })
})

describe('webhooks', () => {
  test('create one (the secret once, with its copy button), send a test that the server delivers, read the log, delete it', async () => {
    // The receiver: records what it is sent and answers 200.
    const received: { signature: string | null; body: string }[] = []
    let arrived = () => {}
    const delivery = new Promise<void>((resolve) => (arrived = resolve))
    const receiver = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(request) {
        received.push({ signature: request.headers.get('x-ground-console-signature'), body: await request.text() })
        arrived()
        return new Response('ok')
      },
    })
    const { page, problems, context } = await newPage(station)
    try {
      await logIn(page, ADMIN.email, ADMIN.password)
      await page.getByRole('link', { name: 'Webhooks' }).click()
      await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor()
      await page.getByLabel('URL').fill(`http://127.0.0.1:${receiver.port}/alerts`)
      await page.locator('input[name="event.deployment.completed"]').check()
      await page.getByRole('button', { name: 'Create webhook' }).click()
      const secret = (await page.locator('#new-secret').textContent())!.trim()
      expect(secret).toMatch(/^whsec_/)
      // The copy island reveals its button.
      await page.getByRole('button', { name: 'Copy the secret' }).waitFor()
      await screenshot(page, 'webhooks')
      // This user may have others (the hostile values' webhook): this one is the row with its URL.
      const url = `http://127.0.0.1:${receiver.port}/alerts`
      const row = page.locator('#webhooks tbody tr', { hasText: url })
      expect(await row.count()).toBe(1)
      expect(await row.textContent()).toContain('deployment.completed, deployment.failed, agent.lost')
      // A test delivery: the server sends it (its sender runs on a timer), signed with that secret.
      await row.getByRole('button', { name: 'Send a test' }).click()
      await page.getByText('A test delivery (ping) is on its way').waitFor()
      await delivery
      expect(JSON.parse(received[0]!.body)).toMatchObject({ event: 'ping' })
      expect(received[0]!.signature).toMatch(/^sha256=[0-9a-f]{64}$/)
      // The log says delivered once the attempt is recorded (a reload each time: the log is not live).
      for (let i = 0; i < 100 && (await page.locator('#deliveries tr[data-state="delivered"]').count()) === 0; i++) await page.reload()
      await page.locator('#deliveries tr[data-state="delivered"]').waitFor()
      expect(await page.locator('#deliveries tr[data-state="delivered"]').textContent()).toContain('HTTP 200')
      await screenshot(page, 'webhook-deliveries')
      // Delete behind its confirmation.
      await page.getByRole('link', { name: '← Webhooks' }).click()
      await row.locator('summary', { hasText: 'Delete…' }).click()
      await row.getByRole('button', { name: 'Delete this webhook' }).click()
      await page.getByText('Webhook deleted: nothing more is sent to it.').waitFor()
      expect(await page.locator('#webhooks tbody tr', { hasText: url }).count()).toBe(0)
      expect(problems).toEqual([])
    } finally {
      await context.close()
      receiver.stop(true)
    }
  })
})

describe('on a tablet', () => {
  test('the deployments page fits 768 px wide: no sideways scroll of the page itself', async () => {
    const { page, problems, context } = await newPage(station, { viewport: { width: 768, height: 1024 } })
    await logIn(page, ADMIN.email, ADMIN.password)
    for (const path of ['/', '/agents', '/missions', '/keys', '/webhooks']) {
      await page.goto(path)
      // Wide tables scroll inside their own frame; the page does not.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      expect(overflow, path).toBeLessThanOrEqual(0)
    }
    await page.goto('/')
    await screenshot(page, 'deployments-tablet')
    expect(problems).toEqual([])
    await context.close()
  })
})
