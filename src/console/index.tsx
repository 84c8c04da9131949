/** @jsxImportSource preact */
// The web console (docs/api.md §7, docs/console.md): server-rendered pages that work without JavaScript,
// enhanced by small islands, using nothing but the JSON API. Mounted by createApp unless --no-console;
// it adds routes only (no hook runs on API requests).
import { Elysia } from 'elysia'
import { sessionTokenFrom } from '../http/auth'
import { crossSite, formToken, formTokenMatches } from '../http/csrf'
import { MiB, utf8Text } from '../http/json'
import { decode } from '../http/request-guard'
import type { ConsoleApi } from './api'
import { assetResponse } from './assets'
import { errorPage, errorText, PageError, type ConsoleContext, type ConsoleRoute, type FormFields } from './kit'
import { localPath } from './paths'
import { ErrorNote, htmlPage, Layout, seeOther, type Viewer } from './html'
import { accountRoutes } from './pages/account'
import { agentPages } from './pages/agents'
import { deploymentPage } from './pages/deployment'
import { deploymentListRoutes } from './pages/deployments'
import { keyPages } from './pages/keys'
import { loginRoutes } from './pages/login'
import { missionPages } from './pages/missions'
import { userPages } from './pages/users'
import { webhookPages } from './pages/webhooks'
import { auditPages } from './pages/audit'

/** The largest form the console reads: a plan file of up to the API's 1 MiB, with room for its encoding. */
export const FORM_LIMIT = 2 * MiB

export const CONSOLE_ROUTES: ConsoleRoute[] = [
  ...loginRoutes,
  ...accountRoutes,
  ...deploymentListRoutes,
  ...deploymentPage,
  ...agentPages,
  ...missionPages,
  ...keyPages,
  ...webhookPages,
  ...userPages,
  ...auditPages,
]

export type ConsoleOptions = { api: ConsoleApi; now?: () => number }

export function consoleRoutes({ api, now = Date.now }: ConsoleOptions) {
  const app = new Elysia({ name: 'console' }).get('/assets/:name', ({ params }) => assetResponse(params.name) ?? notFoundPage())
  for (const route of CONSOLE_ROUTES) {
    const handler = async ({ request, params }: { request: Request; params: Record<string, string> }) =>
      serveRoute(route, request, params, api, now())
    if (route.method === 'GET') app.get(route.path, handler)
    else app.post(route.path, handler, { parse: 'none' })
  }
  return app
}

async function serveRoute(route: ConsoleRoute, request: Request, params: Record<string, string>, api: ConsoleApi, now: number): Promise<Response> {
  const url = new URL(request.url)
  const ctx: ConsoleContext = { request, url, params, api, viewer: null as unknown as Viewer, cookies: [], form: new FormData(), now }
  const response = await answer(route, ctx)
  // Whatever the answer, the cookies the API set on the way (a renewed session, a login) go with it, once.
  for (const cookie of ctx.cookies) response.headers.append('set-cookie', cookie)
  return response
}

async function answer(route: ConsoleRoute, ctx: ConsoleContext): Promise<Response> {
  const { request, url } = ctx
  try {
    if (route.method === 'POST' && crossSite(request))
      return errorPage(ctx, 403, 'This form was sent from another site. Open the console itself and send it again.', route.section)
    const viewer = await viewerOf(ctx)
    if (viewer) ctx.viewer = viewer
    // Logging out without a session: it has ended already.
    else if (route.method === 'POST' && route.path === '/logout') return seeOther('/login')
    else if (!route.public) return loginRedirect(ctx)
    if (route.method === 'POST') {
      const read = await readForm(request)
      if (!('form' in read)) return errorPage(ctx, read.status, read.message, route.section)
      ctx.form = read.form
      const token = read.form.get('csrf')
      // Public forms (the login form) are sent without a session and carry no token; the cross-site check
      // above guards them. A login sent from a tab that has a session is no forgery.
      if (viewer && !route.public && !formTokenMatches(sessionTokenFrom(request.headers)!, typeof token === 'string' ? token : null))
        return errorPage(ctx, 403, 'This form has expired (its security token does not match your session). Reload the page and send it again.', route.section)
    }
    return await route.handle(ctx)
  } catch (error) {
    if (error instanceof PageError) {
      if (error.status === 401) return loginRedirect(ctx)
      return errorPage(ctx, error.status, error.message, route.section)
    }
    throw error
  }
}

/** The signed-in user, asked of the API (`GET /api/auth/me`), or null. */
async function viewerOf(ctx: ConsoleContext): Promise<Viewer | null> {
  const token = sessionTokenFrom(ctx.request.headers)
  if (!token) return null
  const reply = await ctx.api.call<{ user: Omit<Viewer, 'csrf'> }>(ctx.request, 'GET', '/api/auth/me')
  ctx.cookies.push(...reply.setCookies)
  if (reply.status === 401) return null
  // Anything else (a 503 while the disk is full) is said as it is, not taken for "log in again".
  if (!reply.ok) throw new PageError(reply.status, errorText(reply))
  return { ...reply.body.user, csrf: formToken(token) }
}

/**
 * To the login page, and back afterwards: to this page for a GET; for a form, to the page the form was on
 * (its same-origin Referer), since a form's own address is no page (docs/console.md).
 */
function loginRedirect(ctx: ConsoleContext): Response {
  const { url, request } = ctx
  const next = request.method === 'GET' ? url.pathname + url.search : localPath(refererPath(request))
  const location = next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } })
}

type FormRead = { form: FormFields } | { status: number; message: string }

/**
 * Reads an urlencoded or multipart form within FORM_LIMIT, as strictly as the JSON API reads JSON
 * (docs/api.md §0): bytes that are not UTF-8 and a field given twice are refused, never mended or guessed.
 * (Browsers send neither; only a hand-made request does.)
 */
async function readForm(request: Request): Promise<FormRead> {
  const tooLarge = { status: 413, message: `The form is larger than ${FORM_LIMIT / MiB} MiB.` }
  const length = request.headers.get('content-length')
  if (length !== null && Number(length) > FORM_LIMIT) return tooLarge
  const chunks: Uint8Array[] = []
  let size = 0
  if (request.body) {
    const reader = request.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > FORM_LIMIT) {
        await reader.cancel()
        return tooLarge
      }
      chunks.push(value)
    }
  }
  const bytes = Buffer.concat(chunks)
  const type = request.headers.get('content-type') ?? ''
  const notUtf8 = { status: 400, message: 'The form holds bytes that are not UTF-8 text: nothing was changed.' }
  let form: FormData
  if (/^application\/x-www-form-urlencoded/i.test(type)) {
    const text = utf8Text(bytes)
    if (text === null) return notUtf8
    form = new FormData()
    for (const part of text.split('&')) {
      if (part === '') continue
      const eq = part.indexOf('=')
      const name = decode(eq < 0 ? part : part.slice(0, eq))
      const value = eq < 0 ? '' : decode(part.slice(eq + 1))
      if (name === null || value === null) return notUtf8 // a percent-escape that is not UTF-8
      form.append(name, value)
    }
  } else if (/^multipart\/form-data/i.test(type)) {
    try {
      form = await new Response(bytes, { headers: { 'content-type': type } }).formData()
    } catch {
      return { status: 400, message: 'The form could not be read (a malformed multipart body).' }
    }
    // Text parts are decoded with U+FFFD for bad bytes: a U+FFFD in one can only mean bytes that were not UTF-8.
    for (const [, value] of form) if (typeof value === 'string' && value.includes('\ufffd')) return notUtf8
  } else return { form: new FormData() }
  const seen = new Set<string>()
  for (const [name] of form) {
    if (seen.has(name)) return { status: 400, message: `The form gives the field “${name}” more than once.` }
    seen.add(name)
  }
  return { form }
}

/**
 * True for a browser asking for a page: a GET outside /api that accepts HTML (a browser's navigation
 * does; curl and scripts, which ask for anything, keep the JSON answers).
 */
function wantsPage(request: Request): boolean {
  const { pathname } = new URL(request.url)
  if (request.method !== 'GET' || pathname === '/api' || pathname.startsWith('/api/')) return false
  return (request.headers.get('accept') ?? '').includes('text/html')
}

/**
 * The answer to a GET of a page that does not exist (outside /api): an HTML 404 for a browser. Called by
 * the error plugin (src/http/errors.ts) for its "no route"; under /api the answer stays the JSON 404.
 */
export function missingPage(request: Request): Response | null {
  return wantsPage(request) ? problemPage(request, 404, 'There is no page at this address.') : null
}

/**
 * A page refused before routing (a query parameter given twice, headers too large: src/http/request-guard.ts)
 * is told so as a page, with the guard's own words; under /api the answer stays the JSON error.
 */
export function problemPage(request: Request, status: number, message: string): Response | null {
  if (!wantsPage(request)) return null
  const title = status === 404 ? 'Not found' : 'This address cannot be shown'
  return htmlPage(
    <Layout title={title} viewer={null} section="login">
      <h1>{title}</h1>
      <ErrorNote message={message} />
      <p>
        <a href="/">Go to the deployments</a>
      </p>
    </Layout>,
    { status },
  )
}

/** The path of a same-origin Referer, or null. */
function refererPath(request: Request): string | null {
  const referer = request.headers.get('referer')
  if (!referer) return null
  try {
    const from = new URL(referer)
    return from.host === new URL(request.url).host ? from.pathname + from.search : null
  } catch {
    return null
  }
}

function notFoundPage(): Response {
  return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } })
}
