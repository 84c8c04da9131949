// How a route describes itself (docs/api.md §0 "Reference"): what it answers, by status, as Elysia `response`
// schemas — which type `export type App` for an Eden client, cost nothing at run time (Elysia does not check
// the Response objects the routes return) and are checked against every answer of the test suite
// (test/helpers.ts) — and, in `detail`, its summary, credential, query, headers and request body, from
// which src/http/openapi.ts writes /openapi.json.
//
// Why the request body and query are not Elysia `body`/`query` schemas: Elysia would parse and validate
// them before the route runs, so a bad body would answer 400 (or Elysia's 422) before the 401, 413, 415,
// 404 and 409 that the contract puts ahead of it (docs/api.md §0 order), and it would parse a body before
// the size, UTF-8 and depth limits have seen it (docs/limits.md). Routes read their bodies themselves
// (readBody, parseJson, validate in src/http/json.ts and src/http/validate.ts) with the very schemas given
// here, so the document shows what is checked.
import { t } from 'elysia'
import type { TObject, TSchema } from '@sinclair/typebox'
import type { AuthKind } from './auth'
import { ErrorBody } from './schemas'

/** The document's sections, in the order /docs shows them. */
export const TAGS = {
  accounts: 'Log in, sessions, users and passwords (docs/api.md §1)',
  keys: 'API keys for agents and scripts (docs/api.md §1)',
  missions: 'Missions and their plans (docs/api.md §5)',
  deployments: 'Deployments and their lifecycle (docs/api.md §2)',
  events: 'Reporting, listing, streaming and exporting events (docs/api.md §3)',
  agent: 'The agent protocol the stock rotastellar-agent speaks (docs/api.md §4)',
  fleet: 'The caller’s agents and their telemetry (docs/api.md §4)',
  webhooks: 'Webhooks: alerts posted to a chat server or a pager (docs/api.md §1 "Webhooks")',
  operations: 'Health, metrics, backups and this reference (docs/operations.md)',
} as const
export type Tag = keyof typeof TAGS

/** Media types of answers that are not JSON. */
export type Media = 'text/event-stream' | 'application/x-ndjson or text/csv' | 'application/vnd.sqlite3' | 'text/plain' | 'text/html'

export type Responses = Record<number, TSchema>

export type RouteDoc = {
  summary: string
  description?: string
  tag: Tag
  /** compat: the shape is the RotaStellar Console's and is kept byte for byte (docs/api.md §0). */
  compat?: boolean
  /** The credential it takes (src/http/auth.ts); absent: none. */
  auth?: AuthKind
  /** The JSON body it reads, validated by the route itself with this schema or a stricter reading of it. */
  body?: TSchema
  /** Its query parameters. */
  query?: TObject
  /** Request headers it reads beyond the credentials. */
  headers?: Record<string, { description: string; required?: boolean }>
  /** The media type of a non-JSON answer, by status. */
  media?: Record<number, Media>
  /**
   * A change a session may make: refused with 403 when a browser sends it from another site, after a 413 or
   * 415 of any body it carries (docs/auth.md "CSRF"; src/http/auth.ts).
   */
  changes?: boolean
  /** Error statuses beyond those every route, its credential and its body may answer (errorStatuses). */
  errors?: number[]
}

/**
 * The statuses an error may have. For the types (an Eden client's `error.status`) every route may answer
 * any of them with `{error, code}`, a superset that is never wrong; the document lists each route's own.
 */
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 431 | 500 | 503
type ErrorAnswers = { [S in ErrorStatus]: typeof ErrorBody }

/** What a route's hook object carries of its document; `detail` is read back by src/http/openapi.ts. */
export type Documented<R extends Responses> = { response: Omit<ErrorAnswers, keyof R> & R; detail: { summary: string; tags: string[]; 'x-route': RouteDoc } }

/**
 * The route's `response` schemas, its declared errors included (each `{error, code}`), and its document.
 * Spread into the route's hook object beside `auth`.
 */
export function documented<const R extends Responses>(doc: RouteDoc & { response: R }): Documented<R> {
  const { response, ...rest } = doc
  const errors: Record<number, TSchema> = {}
  for (const status of errorStatuses(rest)) errors[status] = ErrorBody
  return { response: { ...errors, ...response } as Documented<R>['response'], detail: { summary: doc.summary, tags: [doc.tag], 'x-route': rest } }
}

/**
 * The error statuses a route may answer: every route 400 (a malformed query: src/http/request-guard.ts),
 * 431 (a request head over 64 KiB), 500 and 503 (storage unavailable); with a credential, 401; an agent
 * route 400 for X-Agent-ID; a route that takes a key 403 (a key outside its scope: docs/api.md §1 "Key
 * scopes"); an admin route 403; with a body, 413 and 415; a change a session may make, 403, 413 and 415;
 * and the route's own.
 */
export function errorStatuses(doc: Pick<RouteDoc, 'auth' | 'body' | 'changes' | 'errors'>): number[] {
  const statuses = new Set([400, 431, 500, 503, ...(doc.errors ?? [])])
  if (doc.auth) statuses.add(401)
  if (doc.auth === 'admin' || doc.auth === 'any' || doc.auth === 'agent') statuses.add(403)
  if (doc.changes && doc.auth !== 'agent') statuses.add(403)
  if (doc.body || (doc.changes && doc.auth !== 'agent')) {
    statuses.add(413)
    statuses.add(415)
  }
  return [...statuses].sort((a, b) => a - b)
}

/** The query of a newest-first cursor list (docs/lists.md). */
export const listQuery = {
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 500, description: 'page size, default 100' })),
  cursor: t.Optional(t.String({ description: 'the next_cursor of the previous page' })),
}

/** The archive filter of the deployment and plan lists (docs/lists.md "Archived"; src/http/paging.ts archivedParam). */
export const archivedQuery = t.Optional(
  t.UnionEnum(['exclude', 'include', 'only'], { description: 'archived rows: hidden (exclude, the default), shown with the others (include), or alone (only)' }),
)
