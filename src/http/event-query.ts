// The event list's and export's filters (docs/api.md §3.3, docs/events.md), read strictly from the query, and
// the list's cursor: the position of the last event served — its instant and its arrival number in the
// deployment, never its global seq — plus a fingerprint of the caller, the deployment and the filters.
import { EVENT_TYPE_MAX, EVENT_TYPE_PATTERN } from '../domain/event'
import { invalid } from '../domain/errors'
import { parseTimestamp } from '../domain/time'
import type { EventFilter, EventPosition, StoredEvent } from '../store/types'
import { cursorParam, decodePosition, encodePosition, fingerprintOf, queryParam } from './paging'
import { intParam } from './query'

/** docs/api.md §3.2: `limit` 1..500, default 100. */
export const EVENTS_PAGE_DEFAULT = 100
export const EVENTS_PAGE_MAX = 500

/** A type prefix: one or more dotted lowercase segments, then `.*` (`transfer.*`, `step.chunk.*`). */
const TYPE_PREFIX_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.\*$/
const TYPE_RULE = `must be an event type like "job.accepted", or a prefix like "transfer.*", at most ${EVENT_TYPE_MAX} characters`
const TIMESTAMP_RULE = 'must be an RFC 3339 timestamp with an offset, e.g. "2026-03-07T12:00:00Z"'
/** Instants an event can have (src/domain/time.ts parseTimestamp): year 0000 to 2^53 - 1 microseconds. */
const FIRST_INSTANT = -62_167_219_200_000_000

function readType(text: string | undefined): Pick<EventFilter, 'type' | 'typePrefix'> {
  if (text === undefined) return { type: null, typePrefix: null }
  if (text.length > EVENT_TYPE_MAX) throw invalid('type', TYPE_RULE)
  if (EVENT_TYPE_PATTERN.test(text)) return { type: text, typePrefix: null }
  if (TYPE_PREFIX_PATTERN.test(text)) return { type: null, typePrefix: text.slice(0, -1) }
  throw invalid('type', TYPE_RULE)
}

function readInstant(query: URLSearchParams, name: 'since' | 'until'): number | null {
  const text = queryParam(query, name)
  if (text === undefined) return null
  const instant = parseTimestamp(text)
  if (instant === null) throw invalid(name, TIMESTAMP_RULE)
  return instant
}

/** `type`, `step_id`, `since` (inclusive) and `until` (exclusive); each absent one is no filter. */
export function readEventFilter(query: URLSearchParams): EventFilter {
  return { ...readType(queryParam(query, 'type')), stepId: queryParam(query, 'step_id') ?? null, since: readInstant(query, 'since'), until: readInstant(query, 'until') }
}

/** Whether the filter can match nothing at all (since ≥ until): the list is then empty, not refused. */
export const isEmptyRange = (filter: EventFilter) => filter.since !== null && filter.until !== null && filter.since >= filter.until

export const hasFilter = (filter: EventFilter) => Object.values(filter).some((value) => value !== null)

/** What a cursor is valid for: this caller, this deployment, these filters (the instants as numbers, so any spelling of one instant is the same filter). */
export function eventListFingerprint(userId: string, deploymentId: string, filter: EventFilter): string {
  const instant = (micros: number | null) => (micros === null ? null : String(micros))
  return fingerprintOf(['events', userId, deploymentId, filter.type, filter.typePrefix, filter.stepId, instant(filter.since), instant(filter.until)])
}

export const encodeEventCursor = ({ timestamp, arrival }: EventPosition, fingerprint: string) => encodePosition([timestamp, arrival], fingerprint)

export function decodeEventCursor(text: string, fingerprint: string): EventPosition {
  return decodePosition(text, fingerprint, 2, ([timestamp, arrival]) =>
    Number.isInteger(timestamp) && (timestamp as number) >= FIRST_INSTANT && (timestamp as number) <= Number.MAX_SAFE_INTEGER && Number.isSafeInteger(arrival) && (arrival as number) >= 0
      ? { timestamp: timestamp as number, arrival: arrival as number }
      : null,
  )
}

export const positionOf = (event: StoredEvent): EventPosition => ({ timestamp: event.eventTimestamp, arrival: event.arrival })

/**
 * A list request: its filter, and where its page starts — after the cursor's position, or `offset`
 * matches in (compat, docs/api.md §3.2); the two together are refused. With a cursor the offset is 0: it
 * counts from the cursor, never from the start (that would take counting).
 */
export function readEventList(query: URLSearchParams, userId: string, deploymentId: string) {
  const offset = intParam({ offset: queryParam(query, 'offset') }, 'offset', { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 })
  const limit = intParam({ limit: queryParam(query, 'limit') }, 'limit', { min: 1, max: EVENTS_PAGE_MAX, fallback: EVENTS_PAGE_DEFAULT })
  const filter = readEventFilter(query)
  const fingerprint = eventListFingerprint(userId, deploymentId, filter)
  const cursor = cursorParam(query)
  const after = cursor === undefined ? null : decodeEventCursor(cursor, fingerprint)
  return { filter, after, offset, limit, fingerprint }
}
