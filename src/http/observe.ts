// Every request served on the socket passes here once (src/server.ts): its X-Request-Id, its line in the
// log, its count and latency in /metrics (docs/operations.md). The console's in-process calls to the API
// (src/console/api.ts) do not: they are part of the page's request, whose line names the page's route
// and the user the API resolved for it.
//
// What is carried per request is one small record in a WeakMap keyed by the Request: the route pattern
// Elysia matched (noted by one global transform hook) and the principal the auth plugin resolved. When
// neither metrics nor info-level logs are on, no record is made and the hook finds none: a request costs
// the X-Request-Id check and echo, nothing else.
import { randomUUID } from 'node:crypto'
import { Elysia } from 'elysia'
import type { Logger } from '../log'
import type { Metrics } from '../metrics'
import type { Principal } from './auth'

/** The route label of a request no route matched (bounded label values: docs/operations.md). */
export const UNMATCHED_ROUTE = 'unmatched'
/** A client's X-Request-Id is kept when it is 1–128 of these; otherwise the server makes one. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/
/** A logged path is cut here (an unknown route's path is the client's to make long). */
const PATH_SHOWN_MAX = 256

type RequestRecord = {
  id: string
  began: number
  route: string | null
  userId?: string
  agentId?: string
  /** A stream was opened: its line is written when it ends. */
  stream?: boolean
  ended?: boolean
  status?: number
  logged?: boolean
  /** A console page's in-process call to the API (logged at debug only). */
  internal?: boolean
}

export type Observer = ReturnType<typeof createObserver>

export function createObserver({ log, metrics, relayedFrom }: { log: Logger; metrics: Metrics | null; relayedFrom: (request: Request) => Request | undefined }) {
  const records = new WeakMap<Request, RequestRecord>()
  const logging = log.enabled?.('info') ?? true
  const active = logging || metrics !== null

  const debugging = log.enabled?.('debug') ?? false

  function writeLine(request: Request, record: RequestRecord) {
    if (record.logged || !logging) return
    record.logged = true
    const url = request.url
    const pathStart = url.indexOf('/', url.indexOf('//') + 2)
    const queryStart = url.indexOf('?', pathStart)
    // The path without its query string: a query may carry what must not be logged.
    const path = pathStart < 0 ? '/' : url.slice(pathStart, queryStart < 0 ? url.length : queryStart)
    const write = record.internal ? log.debug : log.info
    write?.(record.internal ? 'internal request' : record.stream ? 'stream ended' : 'request', {
      method: request.method,
      route: record.route ?? UNMATCHED_ROUTE,
      path: path.length > PATH_SHOWN_MAX ? `${path.slice(0, PATH_SHOWN_MAX)}…` : path,
      status: record.status,
      duration_ms: Math.round((performance.now() - record.began) * 1000) / 1000,
      request_id: record.id,
      ...(record.userId !== undefined && { user_id: record.userId }),
      ...(record.agentId !== undefined && { agent_id: record.agentId }),
      ...(record.stream && { stream: true }),
      ...(record.internal && { internal: true }),
    })
  }

  return {
    /** Notes the matched route pattern: ONE global hook, and a WeakMap miss when nothing is observed. */
    plugin: active
      ? new Elysia({ name: 'observe' })
          .onTransform({ as: 'global' }, function noteRoute(context) {
            const record = records.get(context.request)
            if (record) record.route = patternOf(context.route)
          })
          // A body that failed to parse fails before the transform: the route is noted here then.
          .onError({ as: 'global' }, function noteFailedRoute(context) {
            const record = records.get(context.request)
            if (record && record.route === null && context.route) record.route = patternOf(context.route)
          })
      : new Elysia({ name: 'observe' }),

    /** The auth plugin resolved who is calling (src/http/auth.ts). */
    notePrincipal(request: Request, principal: Principal) {
      if (!active) return
      const own = records.get(request)
      // A console page's call to the API: the page's line names the user the API resolved for it.
      const from = own === undefined || own.internal ? relayedFrom(request) : undefined
      for (const record of [own, from && records.get(from)]) {
        if (!record) continue
        record.userId = principal.user.id
        if (principal.agentId !== undefined) record.agentId = principal.agentId
      }
    },

    /** A stream opened for this request: its log line waits for the returned call, made when it ends. */
    streamOpened(request: Request): () => void {
      const record = active ? records.get(request) : undefined
      if (!record) return () => {}
      record.stream = true
      return () => {
        record.ended = true
        if (record.status !== undefined) writeLine(request, record)
      }
    },

    /**
     * A console page's in-process call to the API (src/console/api.ts): part of the page's request, so
     * neither counted nor logged at info; at debug, a line of its own with `internal: true` and the page's
     * request id.
     */
    async handleInternal(request: Request, from: Request, inner: (request: Request) => Promise<Response>): Promise<Response> {
      const page = debugging ? records.get(from) : undefined
      if (!page) return inner(request)
      const record: RequestRecord = { id: page.id, began: performance.now(), route: null, internal: true }
      records.set(request, record)
      const response = await inner(request)
      record.status = response.status
      writeLine(request, record)
      return response
    },

    /** Answers `request` with `inner` (the app), observed. */
    async handle(request: Request, inner: (request: Request) => Promise<Response>): Promise<Response> {
      const given = request.headers.get('x-request-id')
      const id = given !== null && REQUEST_ID_PATTERN.test(given) ? given : randomUUID()
      if (!active) return withRequestId(await inner(request), id)
      const record: RequestRecord = { id, began: performance.now(), route: null }
      records.set(request, record)
      const response = withRequestId(await inner(request), id)
      const status = response.status
      record.status = status
      metrics?.request(record.route ?? UNMATCHED_ROUTE, request.method, status, (performance.now() - record.began) / 1000)
      // A stream's line waits for its end, unless it ended already or was refused.
      if (!record.stream || record.ended || status !== 200) writeLine(request, record)
      return response
    },
  }
}

/** A prefixed plugin's `/` route is registered with a trailing slash (`/api/missions/`): as it is called. */
const patternOf = (route: string) => (route.length > 1 && route.endsWith('/') ? route.slice(0, -1) : route)

function withRequestId(response: Response, id: string): Response {
  try {
    response.headers.set('x-request-id', id)
    return response
  } catch {
    // Immutable headers (a Response taken from elsewhere): a copy that can carry it.
    const copy = new Response(response.body, response)
    copy.headers.set('x-request-id', id)
    return copy
  }
}
