// Reading a deployment's events on PostgreSQL (docs/api.md §3.2, §3.3, docs/events.md): pages of the list
// in list order (event_timestamp, then arrival) along events_list_idx (deployment_id, event_timestamp,
// arrival), the count of a filter's matches over the same index, and the stream's arrival order along the
// primary key (deployment_id, arrival). Unlike SQLite's, these reads run in the database's own process, so
// a long one holds no event loop: a page is one statement, its offset skipped by the server.
import { createEventIds } from '../../domain/ids'
import { NO_EVENT_FILTER, type EventFilter, type EventPage, type StoredEvent } from '../types'
import { int, type Sql } from './tx'

type Row = Record<string, unknown>

const COLUMNS = 'seq, event_type, event_timestamp, job_id, step_id, payload, created_at, arrival'

/** Conditions on the deployment's events, with their parameters ($1 is the deployment id). */
class Where {
  readonly params: unknown[]
  readonly clauses = ['deployment_id = $1']
  constructor(deploymentId: string) {
    this.params = [deploymentId]
  }
  /** Adds a condition on the next parameters: `clause` is constant text given their placeholders. */
  add(clause: (...at: string[]) => string, ...values: unknown[]) {
    const at = values.map((value) => {
      this.params.push(value)
      return `$${this.params.length}`
    })
    this.clauses.push(clause(...at))
    return this
  }
  get text() {
    return this.clauses.join(' AND ')
  }
}

/**
 * The filter's conditions (docs/events.md): a type exactly or by prefix (a plain prefix test, not a range
 * of the collation, which may not sort `.` as SQLite does), a step, and the instant range [since, until).
 */
function filtered(deploymentId: string, filter: EventFilter): Where {
  const where = new Where(deploymentId)
  if (filter.type !== null) where.add((p) => `event_type = ${p}`, filter.type)
  if (filter.typePrefix !== null) where.add((p) => `starts_with(event_type, ${p})`, filter.typePrefix)
  if (filter.stepId !== null) where.add((p) => `step_id = ${p}`, filter.stepId)
  if (filter.since !== null) where.add((p) => `event_timestamp >= ${p}::int8`, filter.since)
  if (filter.until !== null) where.add((p) => `event_timestamp < ${p}::int8`, filter.until)
  return where
}

export function createEventPages(sql: Sql, secret: number) {
  const eventId = createEventIds(secret)
  const toStoredEvent = (row: Row): StoredEvent => {
    const seq = int(row.seq)
    const createdAt = int(row.created_at)
    return {
      seq,
      id: eventId(createdAt, seq),
      eventType: row.event_type as string,
      eventTimestamp: int(row.event_timestamp),
      jobId: (row.job_id as string | null) ?? null,
      stepId: (row.step_id as string | null) ?? null,
      payload: row.payload as string,
      createdAt,
      arrival: int(row.arrival),
    }
  }

  return {
    async list(deploymentId: string, { filter = NO_EVENT_FILTER, after = null, arrivedBy = null, offset = 0, limit }: EventPage): Promise<StoredEvent[]> {
      const where = filtered(deploymentId, filter)
      // After a position: later instants, or its instant with later arrivals (one probe of events_list_idx).
      if (after) where.add((t, a) => `(event_timestamp, arrival) > (${t}::int8, ${a}::int8)`, after.timestamp, after.arrival)
      if (arrivedBy !== null) where.add((p) => `arrival <= ${p}::int8`, arrivedBy)
      const n = where.params.length
      const rows = (await sql.unsafe(`SELECT ${COLUMNS} FROM events WHERE ${where.text} ORDER BY event_timestamp, arrival LIMIT $${n + 1}::int8 OFFSET $${n + 2}::int8`, [
        ...where.params,
        limit,
        offset,
      ])) as Row[]
      return rows.map(toStoredEvent)
    },
    async count(deploymentId: string, filter: EventFilter): Promise<number> {
      const where = filtered(deploymentId, filter)
      const [row] = (await sql.unsafe(`SELECT count(*) AS n FROM events WHERE ${where.text}`, where.params)) as Row[]
      return int(row!.n)
    },
    /** The stream's order: after arrival number `after`, along the primary key. */
    async byArrival(deploymentId: string, after: number, limit: number): Promise<StoredEvent[]> {
      const rows = (await sql`
        SELECT seq, event_type, event_timestamp, job_id, step_id, payload, created_at, arrival FROM events
        WHERE deployment_id = ${deploymentId} AND arrival > ${after}::int8 ORDER BY arrival LIMIT ${limit}::int8`) as Row[]
      return rows.map(toStoredEvent)
    },
    /** One step down the primary key; 0 when it has none. */
    async lastArrival(deploymentId: string): Promise<number> {
      const [row] = (await sql`SELECT coalesce(max(arrival), 0) AS n FROM events WHERE deployment_id = ${deploymentId}`) as Row[]
      return int(row!.n)
    },
  }
}
