// Deployment events (docs/api.md §3): agents report them one by one or in batches, anyone with access lists
// them in mission order, filtered and paged (docs/events.md). Reports go through the reports service's
// group commit (src/services/reports.ts).
import { Elysia, t } from 'elysia'
import { AppError, invalid, notFound } from '../domain/errors'
import { PAYLOAD_MAX_BYTES, isPlainObject, parseEventInput, type EventInput } from '../domain/event'
import { eventJson } from '../http/dto'
import { MiB, json, parseJson, rawJson, readBody } from '../http/json'
import { encodeEventCursor, hasFilter, isEmptyRange, positionOf, readEventList } from '../http/event-query'
import { queryOf } from '../http/paging'
import type { Reporter } from '../store/types'
import type { RouteDeps } from './deps'
import { documented } from '../http/route-doc'
import { BatchResult, EventBatch, EventId, EventPage, EventReport } from '../http/schemas'
import { nextTurn } from '../turn'

export const BATCH_MAX = 500
const BATCH_BODY_LIMIT = 16 * MiB
const IDEMPOTENCY_KEY_MAX = 255
const IDEMPOTENCY_KEY_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${IDEMPOTENCY_KEY_MAX}}$`)

export const eventRoutes = ({ store, reports, rateLimits, quotas, guard, clock }: RouteDeps) => {
  /** Parses the body; if it is bad, the deployment checks (404/403/409) still speak first (docs/api.md §0), but a 413 speaks before them. */
  async function parseOrExplain<T>(parse: () => T | Promise<T>, userId: string, deploymentId: string, reporter: Reporter): Promise<T> {
    try {
      return await parse()
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'PAYLOAD_TOO_LARGE')) await reports.checkReportable(userId, deploymentId, reporter)
      throw error
    }
  }

  return new Elysia({ name: 'routes/events', prefix: '/api/deployments/:id/events' })
    .use(guard)
    .post(
      '/',
      async ({ request, params, principal }) => {
        const userId = principal.user.id
        rateLimits.check('events', `${userId}\n${params.id}`)
        const text = await readBody(request)
        const reporter: Reporter = { kind: 'agent', agentId: principal.agentId! }
        const event = await parseOrExplain(() => parseEventInput(parseJson(text, { exact: true })), userId, params.id, reporter)
        const key = request.headers.get('idempotency-key')
        if (key !== null && !IDEMPOTENCY_KEY_PATTERN.test(key))
          throw new AppError('BAD_REQUEST', `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX} visible ASCII characters`)
        // A quota judges only a report that would be stored: the deployment's 404/403/409 speak first.
        // Without quotas (the default) the hot path does not even await.
        const admitted = quotas.enabled ? (await reports.checkReportable(userId, params.id, reporter), await quotas.admit(userId, [event])) : null
        let result
        try {
          ;[result] = await reports.submit({ userId, deploymentId: params.id, reporter, events: [{ event, key }], now: clock() })
        } finally {
          admitted?.settle(result ? [result.created] : null)
        }
        return json({ id: result!.id }, result!.created ? 201 : 200)
      },
      {
        auth: 'agent',
        ...documented({
          tag: 'events',
          summary: 'Report an event',
          description:
            'The same event again (type, instant, job, step and payload as canonical JSON) is a retry at any later time: 200 with the stored id. With `Idempotency-Key`, the key decides instead. 403 when the deployment was dispatched to another agent, 409 when it is simulated or finished. Answered once the event is durable.',
          compat: true,
          auth: 'agent',
          body: EventReport,
          headers: { 'Idempotency-Key': { description: '1 to 255 visible ASCII characters: a report sent again with the same key is the same report' } },
          errors: [403, 404, 409, 429],
          response: { 201: EventId, 200: EventId },
        }),
      },
    )
    .post(
      '/batch',
      async ({ request, params, principal }) => {
        const userId = principal.user.id
        rateLimits.check('batches', `${userId}\n${params.id}`)
        const text = await readBody(request, BATCH_BODY_LIMIT)
        // Reading and decoding a big body, then parsing it, are two long steps: other requests go between.
        if (text.length > BATCH_CHUNK_CHARS) await nextTurn()
        const reporter: Reporter = { kind: 'agent', agentId: principal.agentId! }
        const events = await parseOrExplain(() => parseBatch(parseJson(text, { exact: true })), userId, params.id, reporter)
        // Refused before anything is written ahead; a big batch's payloads are then written a little at a
        // time, so that its transaction holds the server only for its rows (docs/limits.md).
        await reports.checkReportable(userId, params.id, reporter)
        const admitted = quotas.enabled ? await quotas.admit(userId, events) : null
        let results
        try {
          const staged = await store.stagePayloads(events)
          try {
            results = await reports.submit({ userId, deploymentId: params.id, reporter, events: events.map((event, i) => ({ event, key: null, staged: staged[i] })), now: clock() })
          } catch (error) {
            await store.dropStagedPayloads(staged).catch(() => {})
            throw error
          }
        } finally {
          admitted?.settle(results ? results.map((r) => r.created) : null)
        }
        const created = results.filter((r) => r.created).length
        return json({
          results: results.map((r) => ({ id: r.id, status: r.created ? 'created' : 'duplicate' })),
          created,
          duplicates: results.length - created,
        })
      },
      {
        auth: 'agent',
        ...documented({
          tag: 'events',
          summary: 'Report up to 500 events at once',
          description: 'All or nothing, in one transaction: the first bad event fails the batch, named by index (`events[1].timestamp`). The body may be up to 16 MiB.',
          auth: 'agent',
          body: EventBatch,
          errors: [403, 404, 409, 429],
          response: { 200: BatchResult },
        }),
      },
    )
    .get(
      '/',
      async ({ request, params, principal }) => {
        const userId = principal.user.id
        const count = await store.getEventCount(userId, params.id)
        if (count === null) throw notFound('deployment')
        const { filter, after, offset, limit, fingerprint } = readEventList(queryOf(request), userId, params.id)
        // Unfiltered, the total is the deployment's own counter; filtered, it is counted (docs/events.md).
        const total = isEmptyRange(filter) ? 0 : hasFilter(filter) ? await store.countEvents(params.id, filter) : count
        // One more than the page holds tells whether there is a next page.
        const rows = offset < total ? await store.listEvents(params.id, { filter, after, offset, limit: limit + 1 }) : []
        const events = rows.slice(0, limit)
        const next = rows.length > limit ? `,"next_cursor":"${encodeEventCursor(positionOf(events[limit - 1]!), fingerprint)}"` : ''
        // Spliced text, payloads unparsed: measured 1.7-1.9× objects + JSON.stringify (100 events: 93 µs against 155 µs), test/bench/micro/envelope.ts.
        return rawJson(`{"events":[${events.map(eventJson).join(',')}],"total":${total},"offset":${offset},"limit":${limit}${next}}`)
      },
      {
        auth: 'any',
        ...documented({
          tag: 'events',
          summary: 'List a deployment’s events in mission order',
          description: 'Ties in arrival order. `total` counts the matches of the filters (docs/events.md).',
          compat: true,
          auth: 'any',
          query: EventListQuery,
          errors: [404],
          response: { 200: EventPage },
        }),
      },
    )
}

/** The event list's query (docs/events.md); the export takes the same filters. */
export const eventFilterQuery = {
  type: t.Optional(t.String({ description: 'an event type exactly, or a prefix such as transfer.*' })),
  step_id: t.Optional(t.String({ description: 'exactly this step id' })),
  since: t.Optional(t.String({ description: 'events at or after this RFC 3339 instant' })),
  until: t.Optional(t.String({ description: 'events before this RFC 3339 instant' })),
}
const EventListQuery = t.Object({
  offset: t.Optional(t.Integer({ minimum: 0, description: 'skip this many matches (compat); not with cursor' })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 500, description: 'page size, default 100' })),
  cursor: t.Optional(t.String({ description: 'the next_cursor of the previous page' })),
  ...eventFilterQuery,
})

/** Payload text worked through between two turns of the event loop while a batch is checked. */
const BATCH_CHUNK_CHARS = 512 * 1024

/**
 * All-or-nothing: the first bad event fails the whole batch, named by index (`events[1].timestamp`). An
 * oversized payload anywhere is a 413, which outranks any event's 400 (docs/api.md §0 order), so after a 400
 * the rest are still checked for size. A large batch is checked a chunk at a time, giving other requests
 * a turn in between: canonicalising 16 MiB of nested payloads takes a while (docs/limits.md).
 */
async function parseBatch(body: unknown): Promise<EventInput[]> {
  if (!isPlainObject(body)) throw invalid('body', 'must be a JSON object {"events": [...]}')
  const { events } = body
  if (!Array.isArray(events) || events.length < 1 || events.length > BATCH_MAX)
    throw invalid('events', `must be an array of 1 to ${BATCH_MAX} events`)
  const inputs: EventInput[] = []
  let invalidEvent: unknown = null
  let chars = 0
  for (let i = 0; i < events.length; i++) {
    const event: unknown = events[i]
    if (invalidEvent !== null) {
      const payloadJson = isPlainObject(event) && isPlainObject(event.payload) ? JSON.stringify(event.payload) : ''
      if (Buffer.byteLength(payloadJson) > PAYLOAD_MAX_BYTES) throw new AppError('PAYLOAD_TOO_LARGE', `events[${i}].payload: must be at most 64 KiB serialised`)
      chars += payloadJson.length
    } else
      try {
        const input = parseEventInput(event, `events[${i}].`)
        inputs.push(input)
        chars += input.payloadJson.length
      } catch (error) {
        if (error instanceof AppError && error.code === 'PAYLOAD_TOO_LARGE') throw error
        invalidEvent = error
      }
    if (chars >= BATCH_CHUNK_CHARS) {
      chars = 0
      await nextTurn()
    }
  }
  if (invalidEvent !== null) throw invalidEvent
  return inputs
}
