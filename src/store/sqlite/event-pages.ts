// Reading a deployment's events on SQLite (docs/api.md §3.2, §3.3, docs/events.md): pages of the list and the
// count of a filter's matches. A page is one range read of the clustered primary key (deployment_key,
// event_timestamp, seq). A page that continues after a position (an instant and an arrival number) first
// finds the seq where that position falls through events_arrival_idx: seq counts every tenant's events,
// so it never leaves the server, and the seek costs the same at any depth. Reads that may walk many rows
// for few results — a type or step filter, a count, a deep offset — go a bounded stretch of the key per
// statement, with a turn of the event loop between stretches, so that none holds the server for long —
// or, on a database file, on the row walker's thread (src/store/sqlite/row-walker.ts): a deep offset's
// start and a filter's count, in one statement there.
import type { Db } from './db/open'
import type { Key, RowWalker } from './row-walker'
import { createEventIds } from '../../domain/ids'
import { NO_EVENT_FILTER, type EventFilter, type EventPage, type EventPosition, type StoredEvent } from '../types'
import { EVENT_COLUMNS, storedEventOf, type EventRow } from './events'
import { nextTurn } from '../../turn'


/** Below and above every instant and seq an event can have (docs/api.md §0: years 0000 to 2255), as exact doubles. */
const BEFORE_ALL = -(2 ** 62)
const AFTER_ALL = 2 ** 62
const END: Key = [AFTER_ALL, AFTER_ALL]
const NOT_WALKED = Symbol('not walked')

/**
 * Rows of the key one statement walks at most when few of them may be wanted: about 2 ms to find the end
 * of such a stretch and 4 ms to count a type filter over it on the project's CI machine kind (stretches
 * of 32 768 held the loop up to 30 ms under load). A page's first stretch is a few times its size and
 * doubles up to this, so dense filters do not pay for it.
 */
const SCAN_CHUNK = 16_384

const DEPLOYMENT_KEY = 'deployment_key = (SELECT event_key FROM deployments WHERE id = $deploymentId)'
const RANGE = '(event_timestamp, seq) > ($fromTime, $fromSeq) AND (event_timestamp, seq) <= ($toTime, $toSeq)'
/** The range of the key read is bounded by positions (`until` among them); type and step are tested on its rows. */
const MATCHES = `
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

/** The range's bounds as parameters; it never reaches `until` (the key before every seq at that instant). */
function range(params: FilterParams, [fromTime, fromSeq]: Key, to: Key) {
  const [toTime, toSeq] = to[0] < params.until ? to : [params.until, BEFORE_ALL]
  return { fromTime, fromSeq, toTime, toSeq }
}
const withoutUntil = ({ until: _until, ...params }: FilterParams) => params
const isSelective = (filter: EventFilter) => filter.type !== null || filter.typePrefix !== null || filter.stepId !== null

/** The statements, exported for the query-plan test (test/db/query-plans.test.ts). */
export const EVENT_PAGE_SQL = {
  page: `
    SELECT ${EVENT_COLUMNS} FROM events e
    WHERE ${DEPLOYMENT_KEY} AND ${RANGE} ${MATCHES} AND arrival <= $arrivedBy
    ORDER BY event_timestamp, seq LIMIT $limit OFFSET $offset`,
  // The common page (no type or step filter, no arrival bound): the same read without their tests, which
  // cost a fifth of a 100-row page's time (measured in process: 184 µs against 148 µs before them).
  plainPage: `
    SELECT ${EVENT_COLUMNS} FROM events e
    WHERE ${DEPLOYMENT_KEY} AND (event_timestamp, seq) > ($fromTime, $fromSeq) AND event_timestamp < $until
    ORDER BY event_timestamp, seq LIMIT $limit OFFSET $offset`,
  // Within a deployment arrival order is seq order, so the seq of the last event that arrived at or
  // before the position splits the events at its instant exactly as the position does, whether or not
  // that event still exists. One step down events_arrival_idx, which holds seq (the primary key).
  seqAt: `SELECT seq FROM events WHERE ${DEPLOYMENT_KEY} AND arrival <= $arrival ORDER BY arrival DESC LIMIT 1`,
  // The end of a stretch: the key `skip` rows on, walking the primary key alone.
  keyAfter: `
    SELECT event_timestamp, seq FROM events
    WHERE ${DEPLOYMENT_KEY} AND (event_timestamp, seq) > ($fromTime, $fromSeq) AND event_timestamp < $until
    ORDER BY event_timestamp, seq LIMIT 1 OFFSET $skip`,
  count: `SELECT count(*) FROM events e WHERE ${DEPLOYMENT_KEY} AND ${RANGE} ${MATCHES}`,
  lastArrival: `SELECT max(arrival) FROM events WHERE ${DEPLOYMENT_KEY}`,
}

/** `walker`: where deep offsets and counts are walked (null: in process, a stretch per turn). */
export function createEventPages(db: Db, walker: RowWalker | null = null) {
  const sqlite = db.$client
  const secret = sqlite.query("SELECT value FROM meta WHERE key = 'event_id_secret'").values()[0]![0] as number
  const toStoredEvent = storedEventOf(createEventIds(secret))
  const q = {
    page: sqlite.prepare(EVENT_PAGE_SQL.page),
    plainPage: sqlite.prepare(EVENT_PAGE_SQL.plainPage),
    seqAt: sqlite.prepare(EVENT_PAGE_SQL.seqAt),
    keyAfter: sqlite.prepare(EVENT_PAGE_SQL.keyAfter),
    count: sqlite.prepare(EVENT_PAGE_SQL.count),
    lastArrival: sqlite.prepare(EVENT_PAGE_SQL.lastArrival),
  }

  /** A walk on the walker's thread; NOT_WALKED when there is none (any more): the caller walks in process. */
  async function walk<T>(ask: (w: RowWalker) => Promise<T>): Promise<T | typeof NOT_WALKED> {
    if (!walker?.usable) return NOT_WALKED
    try {
      return await ask(walker)
    } catch (error) {
      if (walker.usable) throw error
      return NOT_WALKED
    }
  }

  /** Where the range read starts: after the position, or at `since` when that is later. */
  function startOf(deploymentId: string, since: number | null, after: EventPosition | null): Key {
    const first = since ?? BEFORE_ALL
    if (after === null || after.timestamp < first) return [first, BEFORE_ALL]
    const seq = q.seqAt.values({ deploymentId, arrival: after.arrival })[0]?.[0] as number | undefined
    return [after.timestamp, seq ?? BEFORE_ALL]
  }

  /** The key `rows` rows after `from` within the instant bound, or END when fewer remain. */
  const keyAfter = (params: FilterParams, from: Key, rows: number): Key =>
    (q.keyAfter.values({ deploymentId: params.deploymentId, until: params.until, fromTime: from[0], fromSeq: from[1], skip: rows - 1 })[0] as Key | undefined) ?? END

  const countIn = (params: FilterParams, from: Key, to: Key) => q.count.values({ ...withoutUntil(params), ...range(params, from, to) })[0]![0] as number

  function pageIn(params: FilterParams, from: Key, to: Key, arrivedBy: number | null, limit: number, offset: number): StoredEvent[] {
    const rows = q.page.all({ ...withoutUntil(params), ...range(params, from, to), arrivedBy: arrivedBy ?? AFTER_ALL, limit, offset }) as EventRow[]
    return rows.map(toStoredEvent)
  }

  return {
    async list(deploymentId: string, { filter = NO_EVENT_FILTER, after = null, arrivedBy = null, offset = 0, limit }: EventPage): Promise<StoredEvent[]> {
      const params = filterParams(deploymentId, filter)
      let from = startOf(deploymentId, filter.since, after)
      // Every row of the range matches (but those that arrived after `arrivedBy`, which only the export
      // sets, without an offset): an offset is skipped a stretch at a time, then one read serves the page.
      if (!isSelective(filter) && arrivedBy === null) {
        if (offset > SCAN_CHUNK) {
          const walked = await walk((w) => w.keyAfter({ deploymentId, until: params.until, fromTime: from[0], fromSeq: from[1], skip: offset - 1 }))
          if (walked === null) return []
          if (walked !== NOT_WALKED) [from, offset] = [walked, 0]
        }
        for (; offset > SCAN_CHUNK; offset -= SCAN_CHUNK) {
          from = keyAfter(params, from, SCAN_CHUNK)
          if (from === END) return []
          await nextTurn()
        }
        const [fromTime, fromSeq] = from
        const rows = q.plainPage.all({ deploymentId, fromTime, fromSeq, until: params.until, limit, offset }) as EventRow[]
        return rows.map(toStoredEvent)
      }
      if (!isSelective(filter)) return pageIn(params, from, END, arrivedBy, limit, offset)
      // A type or step filter may pass few rows: stretch by stretch, the offset skipped by counting.
      const events: StoredEvent[] = []
      for (let stretch = Math.min(4 * (limit + offset), SCAN_CHUNK); ; stretch = Math.min(2 * stretch, SCAN_CHUNK)) {
        const to = keyAfter(params, from, stretch)
        const skipped = offset > 0 ? countIn(params, from, to) : 0
        if (offset > 0 && skipped <= offset) offset -= skipped
        else {
          events.push(...pageIn(params, from, to, arrivedBy, limit - events.length, offset))
          offset = 0
        }
        if (events.length === limit || to === END) return events
        from = to
        await nextTurn()
      }
    },
    async count(deploymentId: string, filter: EventFilter): Promise<number> {
      const params = filterParams(deploymentId, filter)
      let from: Key = [filter.since ?? BEFORE_ALL, BEFORE_ALL]
      const counted = await walk((w) => w.count({ ...withoutUntil(params), ...range(params, from, END) }))
      if (counted !== NOT_WALKED) return counted
      for (let total = 0; ; ) {
        const to = keyAfter(params, from, SCAN_CHUNK)
        // Without a type or step filter every row of a whole stretch matches.
        total += to !== END && !isSelective(filter) ? SCAN_CHUNK : countIn(params, from, to)
        if (to === END) return total
        from = to
        await nextTurn()
      }
    },
    lastArrival(deploymentId: string): number {
      return (q.lastArrival.values({ deploymentId })[0]![0] as number | null) ?? 0
    },
  }
}
