// Reading a deployment's events on SQLite (api.md §3.2, §3.3, docs/events.md): pages of the list and the
// count of a filter's matches. A page is one range read of the clustered primary key (deployment_key,
// event_timestamp, seq). A page that continues after a position (an instant and an arrival number) first
// finds the seq where that position falls through events_arrival_idx: seq counts every tenant's events,
// so it never leaves the server, and the seek costs the same at any depth.
import type { Db } from '../../db/open'
import { createEventIds } from '../../domain/ids'
import { NO_EVENT_FILTER, type EventFilter, type EventPage, type EventPosition, type StoredEvent } from '../types'
import { PAYLOAD } from './events'

type EventRow = [seq: number, id: string | null, type: string, timestamp: number, jobId: string | null, stepId: string | null, payload: string, createdAt: number, arrival: number]

/** Below and above every instant an event can have (api.md §0: years 0000 to 2255), as exact doubles. */
const BEFORE_ALL = -(2 ** 62)
const AFTER_ALL = 2 ** 62

const DEPLOYMENT_KEY = 'deployment_key = (SELECT event_key FROM deployments WHERE id = $deploymentId)'
/** Only `event_timestamp` bounds the range read; the type and step are tested on the rows in the range. */
const MATCHES = `
  AND event_timestamp < $until
  AND ($type IS NULL OR event_type = $type)
  AND ($prefix IS NULL OR (event_type > $prefix AND event_type < $prefixEnd))
  AND ($stepId IS NULL OR step_id = $stepId)`

type FilterParams = { deploymentId: string; until: number; type: string | null; prefix: string | null; prefixEnd: string | null; stepId: string | null }

function filterParams(deploymentId: string, filter: EventFilter): FilterParams {
  const prefix = filter.typePrefix
  // Types are [a-z0-9_.]: those that start with `transfer.` sort after it and before `transfer/`.
  const prefixEnd = prefix === null ? null : `${prefix.slice(0, -1)}/`
  return { deploymentId, until: filter.until ?? AFTER_ALL, type: filter.type, prefix, prefixEnd, stepId: filter.stepId }
}

/** The statements, exported for the query-plan test (test/db/query-plans.test.ts). */
export const EVENT_PAGE_SQL = {
  page: `
    SELECT seq, id, event_type, event_timestamp, job_id, step_id, ${PAYLOAD}, created_at, arrival FROM events e
    WHERE ${DEPLOYMENT_KEY} AND (event_timestamp, seq) > ($fromTime, $fromSeq) ${MATCHES} AND arrival <= $arrivedBy
    ORDER BY event_timestamp, seq LIMIT $limit OFFSET $offset`,
  // Within a deployment arrival order is seq order, so the seq of the last event that arrived at or
  // before the position splits the events at its instant exactly as the position does, whether or not
  // that event still exists. One step down events_arrival_idx, which holds seq (the primary key).
  seqAt: `SELECT seq FROM events WHERE ${DEPLOYMENT_KEY} AND arrival <= $arrival ORDER BY arrival DESC LIMIT 1`,
  count: `SELECT count(*) FROM events e WHERE ${DEPLOYMENT_KEY} AND event_timestamp >= $since ${MATCHES}`,
  lastArrival: `SELECT max(arrival) FROM events WHERE ${DEPLOYMENT_KEY}`,
}

export function createEventPages(db: Db) {
  const sqlite = db.$client
  const secret = sqlite.query("SELECT value FROM meta WHERE key = 'event_id_secret'").values()[0]![0] as number
  const eventId = createEventIds(secret)
  const q = {
    page: sqlite.prepare(EVENT_PAGE_SQL.page),
    seqAt: sqlite.prepare(EVENT_PAGE_SQL.seqAt),
    count: sqlite.prepare(EVENT_PAGE_SQL.count),
    lastArrival: sqlite.prepare(EVENT_PAGE_SQL.lastArrival),
  }

  /** Where the range read starts: after the position, or at `since` when that is later. */
  function startOf(deploymentId: string, since: number | null, after: EventPosition | null): [number, number] {
    const first = since ?? BEFORE_ALL
    if (after === null || after.timestamp < first) return [first, BEFORE_ALL]
    const seq = q.seqAt.values({ deploymentId, arrival: after.arrival })[0]?.[0] as number | undefined
    return [after.timestamp, seq ?? BEFORE_ALL]
  }

  return {
    list(deploymentId: string, { filter = NO_EVENT_FILTER, after = null, arrivedBy = null, offset = 0, limit }: EventPage): StoredEvent[] {
      const [fromTime, fromSeq] = startOf(deploymentId, filter.since, after)
      const rows = q.page.values({ ...filterParams(deploymentId, filter), fromTime, fromSeq, arrivedBy: arrivedBy ?? AFTER_ALL, limit, offset }) as EventRow[]
      // values(): arrays are cheaper to materialise than objects keyed by column name.
      return rows.map(([seq, id, eventType, eventTimestamp, jobId, stepId, payload, createdAt, arrival]): StoredEvent => ({
        seq,
        // Stored for events from before 0.2, derived for the others (src/domain/ids.ts createEventIds).
        id: id ?? eventId(createdAt, seq),
        eventType,
        eventTimestamp,
        jobId,
        stepId,
        payload,
        createdAt,
        arrival,
      }))
    },
    count(deploymentId: string, filter: EventFilter): number {
      return q.count.values({ ...filterParams(deploymentId, filter), since: filter.since ?? BEFORE_ALL })[0]![0] as number
    },
    lastArrival(deploymentId: string): number {
      return (q.lastArrival.values({ deploymentId })[0]![0] as number | null) ?? 0
    },
  }
}
