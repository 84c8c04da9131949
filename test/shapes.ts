// Holds every answer the suite sees to the route's own declaration (src/http/route-doc.ts): its status must
// be one the route declares, and its body must match that status's schema exactly — no field missing, none
// added, every time in the contract's format. test/helpers.ts `send` calls this for each request, so the
// whole suite keeps /openapi.json and `export type App` from drifting from what the server does.
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { RouteEntry } from '../src/http/openapi'
import type { RouteDoc } from '../src/http/route-doc'

type Matcher = { method: string; pattern: RegExp; params: number; route: RouteEntry & { hooks: { response: Record<string, TSchema>; detail: { 'x-route': RouteDoc } } } }

const tables = new WeakMap<object, Matcher[]>()
const checks = new WeakMap<TSchema, TypeCheck<TSchema>>()

function table(app: { routes: readonly RouteEntry[] }): Matcher[] {
  let found = tables.get(app)
  if (found) return found
  found = []
  for (const route of app.routes) {
    if (!route.hooks?.detail?.['x-route']) continue
    const path = route.path.replace(/(.)\/$/, '$1')
    const source = path.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')
    found.push({ method: route.method, pattern: new RegExp(`^${source}/?$`), params: (path.match(/:/g) ?? []).length, route: route as Matcher['route'] })
  }
  // A fixed segment wins over a parameter (/api/deployments/stream over /api/deployments/:id), as in Elysia.
  found.sort((a, b) => a.params - b.params)
  tables.set(app, found)
  return found
}

/** The declaring route of a request, if any (console pages and unknown paths declare nothing). */
export function declaringRoute(app: { routes: readonly RouteEntry[] }, method: string, url: string) {
  const path = new URL(url, 'http://localhost').pathname.replace(/\/{2,}/g, '/')
  const wanted = method === 'HEAD' ? ['HEAD', 'GET'] : [method]
  return table(app).find((m) => wanted.includes(m.method) && m.pattern.test(path))?.route ?? null
}

export function checkAnswer(app: { routes: readonly RouteEntry[] }, method: string, url: string, response: { status: number; headers: Headers }, text: string) {
  const route = declaringRoute(app, method, url)
  if (!route) return
  const where = `${method} ${route.path} answered ${response.status}`
  const schema = route.hooks.response[String(response.status)]
  if (!schema) throw new Error(`${where}, a status its document does not declare (src/http/route-doc.ts): ${text.slice(0, 300)}`)
  const type = response.headers.get('content-type') ?? ''
  if (schema.type === 'void') {
    if (text !== '') throw new Error(`${where} with a body, where its document declares none`)
    return
  }
  const media = route.hooks.detail['x-route'].media?.[response.status]
  if (media !== undefined) {
    if (method !== 'HEAD' && !media.split(' or ').some((m) => type.startsWith(m))) throw new Error(`${where} as ${type}, where its document says ${media}`)
    return
  }
  if (!type.startsWith('application/json')) throw new Error(`${where} as ${type || 'no content type'}, where its document says JSON`)
  if (method === 'HEAD') return
  let check = checks.get(schema)
  if (!check) checks.set(schema, (check = TypeCompiler.Compile(schema)))
  const body = JSON.parse(text)
  if (!check.Check(body)) {
    const first = check.Errors(body).First()
    throw new Error(`${where} with a body its document does not declare: at "${first?.path}" ${first?.message}; body ${text.slice(0, 500)}`)
  }
}
