// The events table on SQLite (drizzle/0002): writing a group's events and reading pages. The table is
// clustered by (deployment_key, event_timestamp, seq), so the list order is the table's own order and an
// insert touches one b-tree. This is the hottest code in the server: statements are prepared once, bound
// positionally, and rows are inserted ten to a statement.
import type { Statement } from 'bun:sqlite'
import type { Db } from '../../db/open'
import { canonicalPayload, isRetryOf, type EventContent, type EventInput } from '../../domain/event'
import { createEventIds } from '../../domain/ids'
import type { RecordEventsInput, StoredEvent } from '../types'

/** Rows per multi-row INSERT: binding one statement of ten rows costs less than ten of one row. */
const ROWS_PER_INSERT = 10

type Row = [deploymentKey: number, timestamp: number, seq: number, type: string, jobId: string | null, stepId: string | null, payload: string | null, key: string | null, createdAt: number]
type CandidateRow = [id: string | null, seq: number, createdAt: number, type: string, jobId: string | null, stepId: string | null, bytes: number, timestamp: number]
type EventRow = [number, string | null, string, number, string | null, string | null, string, number]

// No id: a new event's id derives from created_at and seq (src/domain/ids.ts createEventIds).
const COLUMNS = 'deployment_key, event_timestamp, seq, event_type, job_id, step_id, payload, idempotency_key, created_at'
const ROW_WIDTH = 9
const PLACEHOLDERS = `(${Array(ROW_WIDTH).fill('?').join(', ')})`

/**
 * Payloads larger than this many bytes of JSON are kept in event_payloads, not in their row: a row that
 * overflows its b-tree page makes every comparison on the clustered key read its overflow pages (measured:
 * 250 events of 60 KiB at one instant took 4.1 s to check against each other; 0.8 s once moved out and
 * each stored payload read at most once per group).
 */
const PAYLOAD_INLINE_MAX = 768

/** The payload column, wherever the payload is kept. */
const PAYLOAD = '(CASE WHEN e.payload IS NULL THEN (SELECT p.payload FROM event_payloads p WHERE p.seq = e.seq) ELSE e.payload END)'
const PAYLOAD_BYTES =
  '(CASE WHEN e.payload IS NULL THEN (SELECT octet_length(p.payload) FROM event_payloads p WHERE p.seq = e.seq) ELSE octet_length(e.payload) END)'

/** What a candidate row (CandidateRow) is read as. */
const CANDIDATE_COLUMNS = `id, seq, created_at, event_type, job_id, step_id, ${PAYLOAD_BYTES}, event_timestamp`

/** Rows read at once for an input's time range at most; past it, each event is looked up alone. */
const RANGE_ROWS_MAX = 1000

/**
 * A stored keyless event that a report at its instant could be a retry of. The payload is read only when
 * everything else matches, its size included: events at one instant may be many, and their payloads large.
 */
type Candidate = Omit<EventContent, 'payloadJson'> & { id: string; timestamp: number; seq: number; bytes: number; payloadJson: string | null }

/** The keyless rows of a deployment between two instants, complete: those stored, and those added since. */
type KnownRange = { from: number; to: number; byInstant: Map<number, Candidate[]> }

/**
 * What the group writer keeps per deployment while a transaction lasts: its key, the newest instant stored
 * (null until read), and the range of rows last read for an input.
 */
export type DeploymentCursor = { key: number; latest: number | null; known: KnownRange | null }

function remember(byInstant: KnownRange['byInstant'], candidate: Candidate) {
  const list = byInstant.get(candidate.timestamp)
  if (list) list.push(candidate)
  else byInstant.set(candidate.timestamp, [candidate])
}

export type EventGroupWriter = ReturnType<ReturnType<typeof createEventStatements>['beginGroup']>

export function createEventStatements(db: Db) {
  const sqlite = db.$client
  const eventId = createEventIds(sqlite.query("SELECT value FROM meta WHERE key = 'event_id_secret'").values()[0]![0] as number)
  /** A row's id: stored for events from before 0.2, derived for the others. */
  const idOf = (id: string | null, createdAt: number, seq: number) => id ?? eventId(createdAt, seq)
  const toCandidate = ([id, seq, createdAt, type, jobId, stepId, bytes, timestamp]: CandidateRow): Candidate => ({
    id: idOf(id, createdAt, seq),
    type,
    jobId,
    stepId,
    timestamp,
    seq,
    bytes,
    payloadJson: null,
  })
  const q = {
    insertOne: sqlite.prepare(`INSERT INTO events (${COLUMNS}) VALUES ${PLACEHOLDERS}`),
    insertMany: sqlite.prepare(`INSERT INTO events (${COLUMNS}) VALUES ${Array(ROWS_PER_INSERT).fill(PLACEHOLDERS).join(', ')}`),
    insertPayload: sqlite.prepare('INSERT INTO event_payloads (seq, payload) VALUES (?, ?)'),
    // The newest instant stored for the deployment: one step down the primary key.
    latest: sqlite.prepare('SELECT max(event_timestamp) FROM events WHERE deployment_key = ?'),
    // Candidates carry their payload's size in bytes, which SQLite knows without reading the payload.
    sameInstant: sqlite.prepare(`
      SELECT ${CANDIDATE_COLUMNS} FROM events e
      WHERE deployment_key = ? AND event_timestamp = ? AND idempotency_key IS NULL`),
    range: sqlite.prepare(`
      SELECT ${CANDIDATE_COLUMNS} FROM events e
      WHERE deployment_key = ? AND event_timestamp BETWEEN ? AND ? AND idempotency_key IS NULL LIMIT ?`),
    payloadOf: sqlite.prepare(`SELECT ${PAYLOAD} FROM events e WHERE deployment_key = ? AND event_timestamp = ? AND seq = ?`),
    byKey: sqlite.prepare('SELECT id, seq, created_at AS createdAt FROM events WHERE deployment_key = ? AND idempotency_key = ?') as Statement<{
      id: string | null
      seq: number
      createdAt: number
    }>,
    seq: sqlite.prepare("SELECT value FROM meta WHERE key = 'event_seq'"),
    setSeq: sqlite.prepare("UPDATE meta SET value = ? WHERE key = 'event_seq'"),
    list: sqlite.prepare(`
      SELECT seq, id, event_type, event_timestamp, job_id, step_id, ${PAYLOAD}, created_at FROM events e
      WHERE deployment_key = (SELECT event_key FROM deployments WHERE id = ?)
      ORDER BY event_timestamp, seq LIMIT ? OFFSET ?`),
  }

  /**
   * One transaction's writer. Rows wait in a buffer to be inserted ten at a time; before a lookup that
   * could match a buffered row, the buffer is written out, so lookups always see every row of the group.
   * Must be used inside a transaction, and finish()ed before it commits.
   */
  function beginGroup() {
    let seq = (q.seq.values()[0]![0] as number) ?? 0
    /** Rows to insert, flat: ROW_WIDTH values each. */
    const buffer: Row[number][] = []
    /** What the buffer holds, to tell when a lookup needs it written first: its instants' range, its keys. */
    let bufferedMin = Infinity
    let bufferedMax = -Infinity
    const bufferedKeys = new Set<string>()
    /** Stored payloads read in this group, by seq: many reports at one instant compare the same ones. */
    const payloads = new Map<number, string>()
    /** Canonical payloads computed in this group, by payload text. */
    const canonicals = new Map<string, string>()
    const canonical = (payloadJson: string) => {
      let text = canonicals.get(payloadJson)
      if (text === undefined) canonicals.set(payloadJson, (text = canonicalPayload(payloadJson)))
      return text
    }

    function flush() {
      const chunk = ROWS_PER_INSERT * ROW_WIDTH
      let at = 0
      for (; buffer.length - at >= chunk; at += chunk) q.insertMany.run(...buffer.slice(at, at + chunk))
      for (; at < buffer.length; at += ROW_WIDTH) q.insertOne.run(...buffer.slice(at, at + ROW_WIDTH))
      buffer.length = 0
      bufferedMin = Infinity
      bufferedMax = -Infinity
      bufferedKeys.clear()
    }

    const overlapsBuffer = (from: number, to: number) => from <= bufferedMax && to >= bufferedMin

    function latest(deployment: DeploymentCursor): number {
      deployment.latest ??= (q.latest.values(deployment.key)[0]![0] as number | null) ?? -Infinity
      return deployment.latest
    }

    /**
     * Whether the event retries this candidate. Equal payloads, both serialised by JSON.stringify from parsed
     * values, differ at most in key order, so they have the same size: the payload is read only then.
     */
    function retries(deployment: DeploymentCursor, candidate: Candidate, event: EventInput, bytes: () => number): boolean {
      if (candidate.type !== event.type || candidate.jobId !== event.jobId || candidate.stepId !== event.stepId || candidate.bytes !== bytes()) return false
      if (candidate.payloadJson === null) {
        let text = payloads.get(candidate.seq)
        if (text === undefined) payloads.set(candidate.seq, (text = q.payloadOf.values(deployment.key, candidate.timestamp, candidate.seq)[0]![0] as string))
        candidate.payloadJson = text
      }
      return isRetryOf(candidate as EventContent, event, canonical)
    }

    /** The id of the stored event this one retries, if any (api.md §3.1). */
    function findRetry(deployment: DeploymentCursor, event: EventInput, key: string | null): string | null {
      if (key !== null) {
        if (bufferedKeys.has(`${deployment.key}\n${key}`)) flush()
        const row = q.byKey.get(deployment.key, key)
        return row ? idOf(row.id, row.createdAt, row.seq) : null
      }
      // Events mostly arrive in time order: one later than every stored event cannot be a retry.
      if (event.timestamp > latest(deployment)) return null
      let size: number | undefined
      const bytes = () => (size ??= Buffer.byteLength(event.payloadJson))
      const known = deployment.known
      if (known && event.timestamp >= known.from && event.timestamp <= known.to) {
        for (const candidate of known.byInstant.get(event.timestamp) ?? []) if (retries(deployment, candidate, event, bytes)) return candidate.id
        return null
      }
      if (overlapsBuffer(event.timestamp, event.timestamp)) flush()
      for (const row of q.sameInstant.values(deployment.key, event.timestamp) as CandidateRow[]) {
        const candidate = toCandidate(row)
        if (retries(deployment, candidate, event, bytes)) return candidate.id
      }
      return null
    }

    return {
      /**
       * Called with an input's events before they are recorded. Reports sent concurrently arrive out of time
       * order, so a whole batch may be older than the newest stored event: rather than one lookup per event,
       * the stored rows of the batch's time range are read at once (usually none). Keyed events are found
       * by their key, and take no part.
       */
      prepare(deployment: DeploymentCursor, events: RecordEventsInput['events']) {
        const newest = latest(deployment)
        let from = Infinity
        let to = -Infinity
        let older = 0
        for (const { event: { timestamp }, key } of events)
          if (key === null && timestamp <= newest) {
            older++
            if (timestamp < from) from = timestamp
            if (timestamp > to) to = timestamp
          }
        const known = deployment.known
        if (older < 2 || (known && from >= known.from && to <= known.to)) return
        if (overlapsBuffer(from, to)) flush()
        const rows = q.range.values(deployment.key, from, to, RANGE_ROWS_MAX + 1) as CandidateRow[]
        if (rows.length > RANGE_ROWS_MAX) return
        const byInstant: KnownRange['byInstant'] = new Map()
        for (const row of rows) remember(byInstant, toCandidate(row))
        deployment.known = { from, to, byInstant }
      },
      /** Stores the event unless it retries a stored one: the id, and whether it was created. */
      record(deployment: DeploymentCursor, event: EventInput, key: string | null, now: number): { id: string; created: boolean } {
        const existing = findRetry(deployment, event, key)
        if (existing !== null) return { id: existing, created: false }
        const id = eventId(now, ++seq)
        // Short text needs no byte count: a UTF-16 unit is at most 3 bytes of UTF-8.
        const inline = event.payloadJson.length * 3 <= PAYLOAD_INLINE_MAX || Buffer.byteLength(event.payloadJson) <= PAYLOAD_INLINE_MAX
        if (!inline) q.insertPayload.run(seq, event.payloadJson)
        buffer.push(deployment.key, event.timestamp, seq, event.type, event.jobId, event.stepId, inline ? event.payloadJson : null, key, now)
        if (event.timestamp < bufferedMin) bufferedMin = event.timestamp
        if (event.timestamp > bufferedMax) bufferedMax = event.timestamp
        if (key !== null) bufferedKeys.add(`${deployment.key}\n${key}`)
        // A range read before stays complete: what this group adds to it is added to it.
        const known = deployment.known
        if (key === null && known && event.timestamp >= known.from && event.timestamp <= known.to) {
          const { type, jobId, stepId, timestamp, payloadJson } = event
          remember(known.byInstant, { id, type, jobId, stepId, timestamp, seq, bytes: Buffer.byteLength(payloadJson), payloadJson })
        }
        // Only a known bound moves: one made up from this event alone could hide a stored later one.
        if (deployment.latest !== null && event.timestamp > deployment.latest) deployment.latest = event.timestamp
        return { id, created: true }
      },
      /** Writes what is buffered and the sequence counter. */
      finish() {
        flush()
        q.setSeq.run(seq)
      },
    }
  }

  return {
    beginGroup,
    list(deploymentId: string, { offset, limit }: { offset: number; limit: number }): StoredEvent[] {
      // values(): arrays are cheaper to materialise than objects keyed by column name.
      return (q.list.values(deploymentId, limit, offset) as EventRow[]).map(
        ([seq, id, eventType, eventTimestamp, jobId, stepId, payload, createdAt]): StoredEvent => ({
          seq,
          id: idOf(id, createdAt, seq),
          eventType,
          eventTimestamp,
          jobId,
          stepId,
          payload,
          createdAt,
        }),
      )
    },
  }
}
