// The live streams (docs/api.md §3.3, docs/streams.md): a deployment's events as Server-Sent Events, and the
// caller's deployments as they change. The routes check access and the resume point; src/http/streams.ts
// does the rest.
import { Elysia, t } from 'elysia'
import { invalid, notFound } from '../domain/errors'
import { apiKeyFrom, type Principal } from '../http/auth'
import { queryOf, queryParam } from '../http/paging'
import type { Slot, StreamSocket } from '../http/streams'
import type { RouteDeps } from './deps'
import { documented } from '../http/route-doc'
import { EventStream } from '../http/schemas'

const RESUME_POINT = /^\d{1,16}$/

/**
 * Where a stream resumes: the Last-Event-ID header if present, else `?after=`, else null (docs/api.md §3.3);
 * a decimal integer from 0 to 2^53 − 1, anything else a 400 naming where it came from.
 */
export function resumePoint(request: Request): number | null {
  const header = request.headers.get('last-event-id')
  const [name, text] = header !== null ? ['Last-Event-ID', header] : ['after', queryParam(queryOf(request), 'after')]
  if (text === undefined) return null
  const value = RESUME_POINT.test(text) ? Number(text) : Number.NaN
  if (!(value <= Number.MAX_SAFE_INTEGER)) throw invalid(name, 'must be a decimal integer from 0 to 9007199254740991')
  return value
}

const STREAM_NOTE = 'Resumes after `Last-Event-ID` (or `?after=`); keep-alive comments every 15 s; closed when its credential is revoked (docs/streams.md). At most a few streams per user: 429 past that.'
const StreamQuery = t.Object({ after: t.Optional(t.String({ description: 'resume after this id when Last-Event-ID is not sent (0 to 2^53 − 1)' })) })

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  // A reverse proxy (nginx) would otherwise hold messages back to fill its buffer.
  'x-accel-buffering': 'no',
}

export const streamRoutes = ({ store, streams, sockets, guard, observer }: RouteDeps) => {
  const credentialOf = (principal: Principal, request: Request) =>
    principal.via === 'key' ? { via: 'key' as const, key: apiKeyFrom(request.headers)! } : { via: 'session' as const, token: principal.sessionToken! }
  // Elysia answers HEAD with the GET handler and the length of its whole body, which a stream never ends:
  // the answer never came, and the stream ran (subscribed, reading) until the client went away.
  const headOnly = (request: Request) => (request.method === 'HEAD' ? new Response(null, { headers: SSE_HEADERS }) : null)
  /** Opens a stream in one of the user's slots (429 when none is left); the slot is given back if it fails to open. */
  async function opened<T>(request: Request, userId: string, open: (slot: Slot) => Promise<T>): Promise<T> {
    const taken = streams.admit(userId)
    // The slot is given back when the stream ends, however it ends: its log line is written then.
    const ended = observer.streamOpened(request)
    const slot: Slot = {
      release() {
        taken.release()
        ended()
      },
    }
    try {
      return await open(slot)
    } catch (error) {
      slot.release()
      throw error
    }
  }
  const socketOf = (request: Request): StreamSocket => {
    // No idle timeout on a stream: it may be quiet for a long time (keep-alives come every 15 s).
    sockets.keepOpen(request)
    return { signal: request.signal, cutOff: () => sockets.cutOff(request) }
  }

  return new Elysia({ name: 'routes/streams', prefix: '/api/deployments' })
    .use(guard)
    .get(
      '/stream',
      async ({ request, principal, set }) => {
        const after = resumePoint(request)
        Object.assign(set.headers, SSE_HEADERS)
        const head = headOnly(request)
        if (head) return head
        return opened(request, principal.user.id, (slot) => streams.deploymentChanges(slot, principal.user.id, after, credentialOf(principal, request), socketOf(request)))
      },
      {
        auth: 'any',
        ...documented({
          tag: 'deployments',
          summary: 'Stream my deployments as they change',
          description: `Server-Sent Events: each deployment, as the list shows it, whenever it changes; \`id:\` is the user's change number. ${STREAM_NOTE}`,
          auth: 'any',
          query: StreamQuery,
          headers: { 'Last-Event-ID': { description: 'resume after this change number' } },
          media: { 200: 'text/event-stream' },
          errors: [429],
          response: { 200: EventStream },
        }),
      },
    )
    .get(
      '/:id/events/stream',
      async ({ params, request, principal, set }) => {
        if (!(await store.getDeployment(principal.user.id, params.id))) throw notFound('deployment')
        const after = resumePoint(request) ?? 0
        Object.assign(set.headers, SSE_HEADERS)
        const head = headOnly(request)
        if (head) return head
        return opened(request, principal.user.id, (slot) => streams.deploymentEvents(slot, principal.user.id, params.id, after, credentialOf(principal, request), socketOf(request)))
      },
      {
        auth: 'any',
        ...documented({
          tag: 'events',
          summary: 'Stream a deployment’s events',
          description: `Server-Sent Events: \`event: status\`, then each durable event (\`id:\` its arrival number) and \`event: end\` when the deployment finishes. ${STREAM_NOTE}`,
          auth: 'any',
          query: StreamQuery,
          headers: { 'Last-Event-ID': { description: 'resume after this arrival number' } },
          media: { 200: 'text/event-stream' },
          errors: [404, 429],
          response: { 200: EventStream },
        }),
      },
    )
}
