// The browser suite's harness: Debian's Chromium driven by playwright-core (never a downloaded browser),
// against the real server started on a free port (docs/console.md "Tests in a real browser").
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { ROOT, startServer, type Running } from '../server/process'
import { tempDir } from '../helpers'

/** Debian's chromium; `CHROMIUM` overrides. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
/** Where screenshots go (git-ignored). */
export const SCREENSHOTS = join(ROOT, 'test/browser/screenshots')

/**
 * Flags for a machine without a network: without the background-networking ones Chromium keeps trying to
 * reach Google's hosts; --no-sandbox because CI runs as root.
 */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

export type Station = { server: Running; url: string; browser: Browser; close(): Promise<void> }

/** Starts the server (the compiled binary when GC_BINARY names one, else the source) and Chromium. */
export async function openStation(): Promise<Station> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`)
  const dir = tempDir('gc-browser-')
  const binary = process.env.GC_BINARY ? join(ROOT, process.env.GC_BINARY) : undefined
  const server = await startServer({ db: join(dir.path, 'console.db'), binary, cwd: dir.path })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  mkdirSync(SCREENSHOTS, { recursive: true })
  return {
    server,
    url: server.url,
    browser,
    async close() {
      await browser.close()
      await server.stop()
      dir.remove()
    },
  }
}

export type Watched = { context: BrowserContext; page: Page; problems: string[] }

/**
 * A fresh browser context (its own cookies) with a page that records every console error, CSP violation,
 * uncaught exception and failed request: a test ends by asserting there were none.
 */
export async function newPage(
  station: Station,
  { colorScheme = 'light' as 'light' | 'dark', javaScriptEnabled = true, viewport = { width: 1280, height: 900 } } = {},
): Promise<Watched> {
  const context = await station.browser.newContext({ baseURL: station.url, colorScheme, javaScriptEnabled, viewport })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (message) => {
    // A page answered 4xx on purpose (a refused form) is logged as a failed load: the 'response' check below
    // judges responses instead, so that an asset or API call that fails is still caught.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console error: ${message.text()}`)
  })
  page.on('response', (response) => {
    if (response.status() >= 400 && response.request().resourceType() !== 'document') problems.push(`${response.status()} for ${response.url()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('requestfailed', (request) => {
    // A stream the page closes, or a load the browser drops, when the page navigates away is not a failure.
    if (!/\/stream(\?|$)/.test(request.url()) && request.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`)
  })
  // Anything not served by the station itself would be a fetch from elsewhere: nothing may be.
  await page.route('**/*', (route) => (route.request().url().startsWith(station.url) ? route.continue() : (problems.push(`outside fetch: ${route.request().url()}`), route.abort())))
  return { context, page, problems }
}

/** Logs in through the form, as a person would. */
export async function logIn(page: Page, email: string, password: string) {
  await page.goto('/login')
  await page.fill('input[name="email"]', email)
  await page.fill('input[name="password"]', password)
  await page.click('button[type="submit"]')
  await page.waitForURL((url) => !url.pathname.startsWith('/login'))
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}
