/** @jsxImportSource preact */
// The web console (api.md §7, docs/console.md): server-rendered pages that work without JavaScript,
// enhanced by small islands, using nothing but the JSON API. Mounted by createApp unless --no-console;
// it adds routes only (no hook runs on API requests).
import { Elysia } from 'elysia'
import { sessionTokenFrom } from '../http/auth'
import { crossSite, formToken, formTokenMatches } from '../http/csrf'
import { MiB } from '../http/json'
import type { ConsoleApi } from './api'
import { assetResponse } from './assets'
import { errorPage, PageError, type ConsoleContext, type ConsoleRoute, type FormFields } from './kit'
import { htmlPage, Layout, type Viewer } from './html'
import { accountRoutes } from './pages/account'
import { agentPages } from './pages/agents'
import { deploymentPage } from './pages/deployment'
import { deploymentListRoutes } from './pages/deployments'
import { keyPages } from './pages/keys'
import { loginRoutes } from './pages/login'
import { missionPages } from './pages/missions'
import { userPages } from './pages/users'

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
  ...userPages,
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
      return errorPage(ctx, 403, 'This form was sent from another site. Open the console itself and send it again.')
    const viewer = await viewerOf(ctx)
    if (viewer) ctx.viewer = viewer
    else if (!route.public) return loginRedirect(url)
    if (route.method === 'POST') {
      const form = await readForm(request)
      if (form === null) return errorPage(ctx, 413, `The form is larger than ${FORM_LIMIT / MiB} MiB.`)
      ctx.form = form
      const token = form.get('csrf')
      if (viewer && !formTokenMatches(sessionTokenFrom(request.headers)!, typeof token === 'string' ? token : null))
        return errorPage(ctx, 403, 'This form has expired (its security token does not match your session). Reload the page and send it again.')
    }
    return await route.handle(ctx)
  } catch (error) {
    if (error instanceof PageError) {
      if (error.status === 401) return loginRedirect(url)
      return errorPage(ctx, error.status, error.message)
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
  if (!reply.ok) return null
  return { ...reply.body.user, csrf: formToken(token) }
}

function loginRedirect(url: URL): Response {
  const next = url.pathname + url.search
  const location = next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } })
}

/** Reads an urlencoded or multipart form within FORM_LIMIT; null when it is larger. */
async function readForm(request: Request): Promise<FormFields | null> {
  const length = request.headers.get('content-length')
  if (length !== null && Number(length) > FORM_LIMIT) return null
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
        return null
      }
      chunks.push(value)
    }
  }
  const type = request.headers.get('content-type') ?? ''
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return new FormData()
  try {
    return await new Response(Buffer.concat(chunks), { headers: { 'content-type': type } }).formData()
  } catch {
    return new FormData()
  }
}

/**
 * The answer to a GET of a page that does not exist (outside /api): an HTML 404 for a browser. Called by
 * the error plugin (src/http/errors.ts) for its "no route"; under /api the answer stays the JSON 404.
 */
export function missingPage(request: Request): Response | null {
  const { pathname } = new URL(request.url)
  if (request.method !== 'GET' || pathname === '/api' || pathname.startsWith('/api/')) return null
  return htmlPage(
    <Layout title="Not found" viewer={null} section="login">
      <h1>Not found</h1>
      <p>There is no page at this address.</p>
      <p>
        <a href="/">Go to the deployments</a>
      </p>
    </Layout>,
    { status: 404 },
  )
}

function notFoundPage(): Response {
  return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } })
}
