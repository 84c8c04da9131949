// /openapi.json (docs/api.md §0 "Reference"): the OpenAPI 3.1 document written from the app's own routes —
// each route's `response` schemas and the `detail` that src/http/route-doc.ts gives it — so it cannot say
// other than what the routes declare, and the suite checks every answer against those declarations.
//
// Written here rather than by @elysiajs/openapi (1.4.16, tried): that plugin writes a bodiless answer (204)
// as `content: {type: "void"}`, which is not valid OpenAPI, can only say application/json or text/plain for
// an answer, while these routes also answer Server-Sent Events, NDJSON/CSV and SQLite files, and cannot
// take a request body that Elysia must not parse (src/http/route-doc.ts says why). What it would add here is
// the walk below.
import type { TSchema } from '@sinclair/typebox'
import pkg from '../../package.json' with { type: 'json' }
import type { AuthKind } from './auth'
import type { RouteDoc } from './route-doc'
import { TAGS } from './route-doc'
import * as Shapes from './schemas'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }
/** What the document needs of an Elysia route (`app.routes`). */
export type RouteEntry = { method: string; path: string; hooks?: { response?: unknown; detail?: { 'x-route'?: RouteDoc } } }

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad request: malformed JSON, a missing header, or a field that breaks its rule (named in `error`)',
  401: 'Missing, invalid or revoked credentials',
  403: 'Authenticated but not allowed',
  404: 'Unknown, or not yours',
  409: 'Conflicts with the resource’s state',
  413: 'Body too large',
  415: 'The body is not application/json',
  429: 'Rate limited: retry after `Retry-After` seconds',
  431: 'Request line and headers over 64 KiB',
  500: 'Internal error (no internals in the body)',
  503: 'Storage unavailable (disk full, read-only or locked): retry later',
}

const SECURITY: Record<AuthKind, JsonObject[]> = {
  any: [{ apiKey: [] }, { bearer: [] }, { session: [] }],
  agent: [{ apiKey: [] }, { bearer: [] }],
  session: [{ session: [] }],
  admin: [{ session: [] }],
}

/** The named shapes of src/http/schemas.ts, by object: where one appears, the document refers to it. */
const NAMES = new Map<object, string>(
  Object.entries(Shapes)
    .filter(([, schema]) => typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'object')
    .map(([name, schema]) => [schema as object, name]),
)

/**
 * A TypeBox schema as plain JSON Schema 2020-12 (what OpenAPI 3.1 takes): TypeBox's own marks are symbols and
 * fall away; a named shape other than `root` becomes a `$ref`.
 */
function jsonSchema(schema: unknown, root?: object): Json {
  if (Array.isArray(schema)) return schema.map((item) => jsonSchema(item))
  if (typeof schema !== 'object' || schema === null) return schema as Json
  const name = NAMES.get(schema)
  if (name !== undefined && schema !== root) return { $ref: `#/components/schemas/${name}` }
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(schema)) {
    // `error` words a validation message (src/http/validate.ts); `default` is what Elysia's t.UnionEnum puts
    // there for its own messages — the routes apply no schema defaults, their descriptions say what they are.
    if (key === 'error' || key === 'default') continue
    if (key === 'secret') out.format = 'password'
    else if (key === 'properties' || key === 'patternProperties')
      out[key] = Object.fromEntries(Object.entries(value as object).map(([name, field]) => [name, jsonSchema(field)]))
    else out[key] = jsonSchema(value)
  }
  return out
}

const isVoid = (schema: unknown) => (schema as { type?: unknown } | undefined)?.type === 'void'

function operationOf(route: RouteEntry, doc: RouteDoc): JsonObject {
  const parameters: Json[] = []
  for (const match of route.path.matchAll(/:([A-Za-z0-9_]+)/g)) parameters.push({ name: match[1]!, in: 'path', required: true, schema: { type: 'string' } })
  if (doc.query) {
    const required = new Set(doc.query.required ?? [])
    for (const [name, schema] of Object.entries(doc.query.properties))
      parameters.push({ name, in: 'query', required: required.has(name), schema: jsonSchema(schema), ...describe(schema) })
  }
  if (doc.auth === 'agent') parameters.push({ name: 'X-Agent-ID', in: 'header', required: true, description: 'the agent’s id, 1 to 128 visible ASCII characters', schema: { type: 'string' } })
  for (const [name, header] of Object.entries(doc.headers ?? {}))
    parameters.push({ name, in: 'header', required: header.required ?? false, description: header.description, schema: { type: 'string' } })

  const responses: JsonObject = {}
  const declared = (route.hooks?.response ?? {}) as Record<string, TSchema>
  for (const [status, schema] of Object.entries(declared)) {
    const media = doc.media?.[Number(status)]
    const description = STATUS_TEXT[Number(status)] ?? `Status ${status}`
    if (isVoid(schema)) responses[status] = { description }
    else if (media !== undefined)
      responses[status] = { description, content: Object.fromEntries(media.split(' or ').map((type) => [type, { schema: jsonSchema(schema) }])) }
    else responses[status] = { description, content: { 'application/json': { schema: jsonSchema(schema) } } }
  }
  return {
    operationId: operationId(route),
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag],
    security: doc.auth ? SECURITY[doc.auth] : [],
    ...(doc.compat ? { 'x-compat': true } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(doc.body) } } } } : {}),
    responses,
  }
}

const describe = (schema: unknown): JsonObject => {
  const description = (schema as { description?: unknown }).description
  return typeof description === 'string' ? { description } : {}
}

/** `GET /api/deployments/:id/events` → `getDeploymentEvents`-like ids, unique per method and path. */
function operationId(route: RouteEntry): string {
  const words = openApiPath(route.path)
    .replace(/\{([^}]+)\}/g, ':$1')
    .split('/')
    .filter((part) => part && part !== 'api')
    .map((part) => (part.startsWith(':') ? `By${cap(part.slice(1))}` : part.split(/[^A-Za-z0-9]+/).map(cap).join('')))
  return route.method.toLowerCase() + words.join('')
}
const cap = (word: string) => word.charAt(0).toUpperCase() + word.slice(1)

/** The OpenAPI path of an Elysia path: `/api/keys/:id` → `/api/keys/{id}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1')

/** The document of every route that describes itself (the console's pages do not: they are not API). */
export function openApiDocument(routes: readonly RouteEntry[]): JsonObject {
  const paths: Record<string, JsonObject> = {}
  for (const route of routes) {
    const doc = route.hooks?.detail?.['x-route']
    if (!doc) continue
    const path = openApiPath(route.path)
    paths[path] ??= {}
    paths[path]![route.method.toLowerCase()] = operationOf(route, doc)
  }
  const schemas: JsonObject = {}
  for (const [schema, name] of [...NAMES].sort(([, a], [, b]) => a.localeCompare(b))) schemas[name] = jsonSchema(schema, schema)
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ground Console API',
      version: pkg.version,
      description:
        'The deployments, events and agent API of Ground Console, a self-hosted mission-control server. Operations marked `x-compat` keep the RotaStellar Console’s shapes byte for byte. Errors are always `{"error", "code"}`; when several apply, the first of 401, 400 (missing header), 413, 415, 404, 403, 409, 400 (body) wins.',
    },
    servers: [{ url: '/' }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'an API key (rs_live_… or rs_test_…)' },
        bearer: { type: 'http', scheme: 'bearer', description: 'the same API key as `Authorization: Bearer <key>`' },
        session: { type: 'apiKey', in: 'cookie', name: 'session', description: 'the session cookie of POST /api/auth/login' },
      },
    },
  }
}
