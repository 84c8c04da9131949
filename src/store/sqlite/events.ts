// The events table on SQLite (drizzle/0002): writing a group's events; event-pages.ts reads them. The table is
// clustered by (deployment_key, event_timestamp, seq), so the list order is the table's own order and an
// insert touches one b-tree. This is the hottest code in the server: statements are prepared once, bound
// positionally, and rows are inserted ten to a statement.
import type { Statement } from 'bun:sqlite'
import type { Db } from './db/open'
import type { Database } from 'bun:sqlite'
import { canonicalJson, canonicalPayload, contentDigest, isRetryOf, type EventContent, type EventInput } from '../../domain/event'
import { parseJsonExact } from '../../domain/json'
import { createEventIds } from '../../domain/ids'
import type { StoredEvent } from '../types'
import { nextTurn } from '../../turn'

/** Rows per multi-row INSERT: measured 1.1-1.3× one-row INSERTs per event in a 500-event transaction, 1.0× in one of 20 (test/bench/micro/inserts.ts). */
const ROWS_PER_INSERT = 10

type Row = [deploymentKey: number, timestamp: number, seq: number, type: string, jobId: string | null, stepId: string | null, payload: string | null, key: string | null, createdAt: number, digest: number | null, payloadRef: number | null, arrival: number]
type CandidateRow = { id: string | null; seq: number; createdAt: number; type: string; jobId: string | null; stepId: string | null }
/** An event as read for a list or a stream (EVENT_COLUMNS): a StoredEvent whose id is null unless stored. */
export type EventRow = Omit<StoredEvent, 'id'> & { id: string | null }

/** Maps a read row to a StoredEvent; its id is stored for events from before 0.2, derived for the others (src/domain/ids.ts). */
export const storedEventOf =
  (eventId: (createdAt: number, seq: number) => string) =>
  (row: EventRow): StoredEvent => ({ ...row, id: row.id ?? eventId(row.createdAt, row.seq) })
type LegacyRow = [deploymentKey: number, timestamp: number, seq: number, type: string, jobId: string | null, stepId: string | null, payload: string]

// No id: a new event's id derives from created_at and seq (src/domain/ids.ts createEventIds).
const COLUMNS = 'deployment_key, event_timestamp, seq, event_type, job_id, step_id, payload, idempotency_key, created_at, digest, payload_ref, arrival'
const ROW_WIDTH = 12
const PLACEHOLDERS = `(${Array(ROW_WIDTH).fill('?').join(', ')})`

/**
 * Payloads larger than this many bytes of JSON are kept in event_payloads, not in their row: a row that
 * overflows its b-tree page makes every comparison on the clustered key read its overflow pages (measured:
 * 250 events of 60 KiB at one instant took 4.1 s to check against each other; 0.8 s once moved out).
 */
const PAYLOAD_INLINE_MAX = 768

/** The payload column, wherever the payload is kept: inline, under the event's seq, or staged under its payload_ref. */
export const PAYLOAD = '(CASE WHEN e.payload IS NULL THEN (SELECT p.payload FROM event_payloads p WHERE p.seq = coalesce(e.payload_ref, e.seq)) ELSE e.payload END)'
/** An EventRow's columns of `events e`, named as its fields (rows as arrays, values(), measured no faster: test/bench/micro/rows.ts). */
export const EVENT_COLUMNS = `seq, id, event_type AS eventType, event_timestamp AS eventTimestamp, job_id AS jobId, step_id AS stepId, ${PAYLOAD} AS payload, created_at AS createdAt, arrival`

/**
 * An input whose out-of-line payloads add up to this many bytes has them written ahead of it, in
 * transactions of about STAGE_CHUNK_BYTES each with a turn of the event loop between them, so that the
 * group's transaction holds the loop only for its rows. Measured: a 14.5 MiB batch of 500 payloads of
 * 29 KiB held the loop 98 ms, almost all of it inserting the payloads in one transaction.
 */
const STAGE_MIN_BYTES = 1024 * 1024
const STAGE_CHUNK_BYTES = 1024 * 1024
const isInline = (payloadJson: string) => Buffer.byteLength(payloadJson) <= PAYLOAD_INLINE_MAX

/** Rows given their digest per transaction by the start-up backfill. */
const BACKFILL_BATCH = 2000

/**
 * A stored keyless event that a report could be a retry of: same deployment, instant and digest. Its
 * payload is read only when everything else matches.
 */
type Candidate = Omit<EventContent, 'payloadJson'> & { id: string; timestamp: number; seq: number; payloadJson: string | null }

/** What the group writer keeps per deployment while a transaction lasts: its key and the newest instant stored (null until read). */
export type DeploymentCursor = { key: number; latest: number | null; arrival: number | null }

export type EventAppender = ReturnType<ReturnType<typeof createEventStatements>['openAppender']>

export function createEventStatements(db: Db) {
  const sqlite = db.$client
  const secret = sqlite.query("SELECT value FROM meta WHERE key = 'event_id_secret'").values()[0]![0] as number
  const eventId = createEventIds(secret)
  /** A row's id: stored for events from before 0.2, derived for the others. */
  const idOf = (id: string | null, createdAt: number, seq: number) => id ?? eventId(createdAt, seq)
  const q = {
    insertOne: sqlite.prepare(`INSERT INTO events (${COLUMNS}) VALUES ${PLACEHOLDERS}`),
    insertMany: sqlite.prepare(`INSERT INTO events (${COLUMNS}) VALUES ${Array(ROWS_PER_INSERT).fill(PLACEHOLDERS).join(', ')}`),
    insertPayload: sqlite.prepare('INSERT INTO event_payloads (seq, payload) VALUES (?, ?)'),
    // The newest instant stored for the deployment: one step down the primary key.
    latest: sqlite.prepare('SELECT max(event_timestamp) FROM events WHERE deployment_key = ?'),
    // The deployment's last arrival number: one step down events_arrival_idx.
    lastArrival: sqlite.prepare('SELECT max(arrival) FROM events WHERE deployment_key = ?'),
    // One step down events_retry_idx, however many events share the instant.
    byDigest: sqlite.prepare(`
      SELECT id, seq, created_at AS createdAt, event_type AS type, job_id AS jobId, step_id AS stepId FROM events e INDEXED BY events_retry_idx
      WHERE deployment_key = ? AND event_timestamp = ? AND digest = ? AND idempotency_key IS NULL`),
    payloadOf: sqlite.prepare(`SELECT ${PAYLOAD} FROM events e WHERE deployment_key = ? AND event_timestamp = ? AND seq = ?`),
    byKey: sqlite.prepare('SELECT id, seq, created_at AS createdAt FROM events WHERE deployment_key = ? AND idempotency_key = ?') as Statement<{
      id: string | null
      seq: number
      createdAt: number
    }>,
    stage: sqlite.prepare('INSERT INTO event_payloads (seq, payload) VALUES (?, ?)'),
    stageSeq: sqlite.prepare("UPDATE meta SET value = value + ? WHERE key = 'payload_stage_seq' RETURNING value"),
    // Only a staged payload that no stored event took: after a flush failure its event may be stored.
    dropStaged: sqlite.prepare('DELETE FROM event_payloads WHERE seq = ?1 AND seq < 0 AND NOT EXISTS (SELECT 1 FROM events WHERE payload_ref = ?1)'),
    seq: sqlite.prepare("SELECT value FROM meta WHERE key = 'event_seq'"),
    setSeq: sqlite.prepare("UPDATE meta SET value = ? WHERE key = 'event_seq'"),
    // The stream's order: along events_arrival_idx.
    byArrival: sqlite.prepare(`
      SELECT ${EVENT_COLUMNS} FROM events e INDEXED BY events_arrival_idx
      WHERE deployment_key = (SELECT event_key FROM deployments WHERE id = ?) AND arrival > ?
      ORDER BY arrival LIMIT ?`),
  }

  const toStoredEvent = storedEventOf(eventId)

  backfillDigests(sqlite, secret)
  // Payloads staged for inputs that never committed (the server stopped between the two): nothing refers to them.
  sqlite.run('DELETE FROM event_payloads WHERE seq < 0 AND NOT EXISTS (SELECT 1 FROM events WHERE payload_ref = event_payloads.seq)')

  /**
   * Rows wait here to be inserted ten to a statement (binding one statement of ten rows costs less than
   * ten of one row); insertBuffered() writes them out. Within one transaction only.
   */
  function openRowBuffer() {
    /** Rows to insert, flat: ROW_WIDTH values each. */
    const buffer: Row[number][] = []
    function insertBuffered() {
      const chunk = ROWS_PER_INSERT * ROW_WIDTH
      let at = 0
      for (; buffer.length - at >= chunk; at += chunk) q.insertMany.run(...buffer.slice(at, at + chunk))
      for (; at < buffer.length; at += ROW_WIDTH) q.insertOne.run(...buffer.slice(at, at + ROW_WIDTH))
      buffer.length = 0
    }
    return {
      add(...row: Row) {
        buffer.push(...row)
        if (buffer.length >= ROWS_PER_INSERT * ROW_WIDTH) insertBuffered()
      },
      insertBuffered,
    }
  }

  /**
   * Finds the stored event a report retries (docs/api.md §3.1), among the table's rows and the rows this
   * transaction has added: those are remembered in memory, so finding them needs no write of the buffer.
   * Within one transaction only.
   */
  function openRetryLookup() {
    /**
     * The keyless rows added in this transaction, by deployment and instant (their digests compared in the
     * list); keyed ones by key. Numbers as keys: a string slot per event (deployment, instant, digest) cost
     * 0.43-0.55 µs an event against 0.09 (test/bench/micro/retry-slots.ts), and was a tenth of a batch's CPU.
     */
    const added = new Map<number, Map<number, Array<Candidate & { digest: number | null }>>>()
    const addedKeys = new Map<string, string>()
    /** Canonical payloads computed in this transaction, by payload text. */
    const canonicals = new Map<string, string>()
    const canonical = (payloadJson: string) => {
      let text = canonicals.get(payloadJson)
      if (text === undefined) canonicals.set(payloadJson, (text = canonicalPayload(payloadJson)))
      return text
    }

    /** The newest instant stored for the deployment, read once. */
    function latest(deployment: DeploymentCursor): number {
      deployment.latest ??= (q.latest.values(deployment.key)[0]![0] as number | null) ?? -Infinity
      return deployment.latest
    }

    /**
     * Whether the event retries this candidate, whose digest it shares. No size shortcut: an older version
     * wrote some numbers another way (`10e399` for `1e400`), so equal payloads may differ in length.
     */
    function retries(deployment: DeploymentCursor, candidate: Candidate, event: EventInput): boolean {
      if (candidate.type !== event.type || candidate.jobId !== event.jobId || candidate.stepId !== event.stepId) return false
      candidate.payloadJson ??= q.payloadOf.values(deployment.key, candidate.timestamp, candidate.seq)[0]![0] as string
      return isRetryOf(candidate as EventContent, event, canonical)
    }

    return {
      /** The id of the stored event this one retries, or null. `digest`: the event's, when it has no key. */
      find(deployment: DeploymentCursor, event: EventInput, key: string | null, digest: number | null): string | null {
        if (key !== null) {
          const id = addedKeys.get(`${deployment.key}\n${key}`)
          if (id !== undefined) return id
          const row = q.byKey.get(deployment.key, key)
          return row ? idOf(row.id, row.createdAt, row.seq) : null
        }
        // Events mostly arrive in time order: one later than every stored event cannot be a retry.
        if (event.timestamp > latest(deployment)) return null
        for (const candidate of added.get(deployment.key)?.get(event.timestamp) ?? []) if (candidate.digest === digest && retries(deployment, candidate, event)) return candidate.id
        for (const { id, seq: rowSeq, createdAt, type, jobId, stepId } of q.byDigest.all(deployment.key, event.timestamp, digest) as CandidateRow[]) {
          const candidate: Candidate = { id: idOf(id, createdAt, rowSeq), type, jobId, stepId, timestamp: event.timestamp, seq: rowSeq, payloadJson: null }
          if (retries(deployment, candidate, event)) return candidate.id
        }
        return null
      },
      /** Remembers a row just added, so that a later report in the same transaction finds it. */
      remember(deployment: DeploymentCursor, event: EventInput, key: string | null, digest: number | null, id: string, seq: number) {
        if (key !== null) addedKeys.set(`${deployment.key}\n${key}`, id)
        else {
          const { type, jobId, stepId, timestamp, payloadJson } = event
          const candidate = { id, type, jobId, stepId, timestamp, seq, payloadJson, digest }
          let instants = added.get(deployment.key)
          if (!instants) added.set(deployment.key, (instants = new Map()))
          const same = instants.get(timestamp)
          if (same) same.push(candidate)
          else instants.set(timestamp, [candidate])
        }
        // Only a known bound moves: one made up from this event alone could hide a stored later one.
        if (deployment.latest !== null && event.timestamp > deployment.latest) deployment.latest = event.timestamp
      },
    }
  }

  /**
   * One transaction's event appender: each event is looked up as a possible retry, else given the next
   * seq (global, the table's tie-break and the id's source) and the next arrival number of its deployment,
   * and buffered. Must be used inside a transaction, and close()d before it commits.
   */
  function openAppender() {
    let seq = (q.seq.values()[0]![0] as number) ?? 0
    const rows = openRowBuffer()
    const lookup = openRetryLookup()
    /** The deployment's last arrival number, read once. */
    const lastArrival = (deployment: DeploymentCursor) => (deployment.arrival ??= (q.lastArrival.values(deployment.key)[0]![0] as number | null) ?? 0)
    return {
      lastArrival,
      append(deployment: DeploymentCursor, event: EventInput, key: string | null, now: number, staged: number | null): { id: string; created: boolean; arrival?: number } {
        const digest = key === null ? contentDigest(event, event.canonical, secret) : null
        const existing = lookup.find(deployment, event, key, digest)
        if (existing !== null) {
          if (staged !== null) q.dropStaged.run(staged)
          return { id: existing, created: false }
        }
        const id = eventId(now, ++seq)
        const arrival = lastArrival(deployment) + 1
        deployment.arrival = arrival
        const inline = staged === null && isInline(event.payloadJson)
        if (!inline && staged === null) q.insertPayload.run(seq, event.payloadJson)
        rows.add(deployment.key, event.timestamp, seq, event.type, event.jobId, event.stepId, inline ? event.payloadJson : null, key, now, digest, staged, arrival)
        lookup.remember(deployment, event, key, digest, id, seq)
        return { id, created: true, arrival }
      },
      /** Writes the buffered rows and the seq counter. */
      close() {
        rows.insertBuffered()
        q.setSeq.run(seq)
      },
    }
  }

  /**
   * Writes an input's out-of-line payloads ahead of it when they are large together (STAGE_MIN_BYTES), a
   * chunk per transaction with a turn of the event loop between: per event, its staged key or null. They
   * commit without a flush of their own: the group's flush, later in the same WAL, covers them.
   */
  async function stagePayloads(events: EventInput[], commit: (write: () => void) => void): Promise<Array<number | null>> {
    const refs: Array<number | null> = events.map(() => null)
    const large = events.flatMap((event, i) => (isInline(event.payloadJson) ? [] : [i]))
    if (large.reduce((sum, i) => sum + events[i]!.payloadJson.length, 0) < STAGE_MIN_BYTES) return refs
    try {
      await stageChunks(events, large, refs, commit)
    } catch (error) {
      // A chunk that failed wrote nothing; those before it go now, or at the next start.
      try {
        dropStaged(refs, commit)
      } catch {}
      throw error
    }
    return refs
  }

  async function stageChunks(events: EventInput[], large: number[], refs: Array<number | null>, commit: (write: () => void) => void) {
    for (let at = 0; at < large.length; ) {
      let bytes = 0
      const chunk: number[] = []
      while (at < large.length && (chunk.length === 0 || bytes < STAGE_CHUNK_BYTES)) {
        chunk.push(large[at]!)
        bytes += events[large[at]!]!.payloadJson.length
        at++
      }
      commit(() =>
        sqlite.transaction(() => {
          const top = q.stageSeq.values(chunk.length)[0]![0] as number
          chunk.forEach((i, k) => {
            const ref = -(top - chunk.length + 1 + k)
            q.stage.run(ref, events[i]!.payloadJson)
            refs[i] = ref
          })
        }).immediate(),
      )
      if (at < large.length) await nextTurn()
    }
  }

  /** Deletes staged payloads that no stored event took (after a refused or failed input). */
  function dropStaged(refs: Array<number | null>, commit: (write: () => void) => void) {
    const staged = refs.filter((ref): ref is number => ref !== null)
    if (staged.length) commit(() => sqlite.transaction(() => staged.forEach((ref) => q.dropStaged.run(ref))).immediate())
  }

  return {
    openAppender,
    stagePayloads,
    dropStaged,
    listByArrival(deploymentId: string, after: number, limit: number): StoredEvent[] {
      return (q.byArrival.all(deploymentId, after, limit) as EventRow[]).map(toStoredEvent)
    },
  }
}

/**
 * Gives every keyless event stored before 0.3 its digest (migration 0003 sets the flag), in batches along
 * the primary key, once. A stored payload that cannot be parsed within today's limits (nested past 64
 * levels by an older version) gets a digest of its raw text: no report accepted now can be a retry of it.
 */
function backfillDigests(sqlite: Database, secret: number) {
  const flag = sqlite.query("SELECT value FROM meta WHERE key = 'events_digest_backfill'").values()[0]?.[0]
  if (flag !== 1) return
  const next = sqlite.prepare(`
    SELECT deployment_key, event_timestamp, seq, event_type, job_id, step_id, ${PAYLOAD} FROM events e
    WHERE (deployment_key, event_timestamp, seq) > (?, ?, ?) AND idempotency_key IS NULL AND digest IS NULL
    ORDER BY deployment_key, event_timestamp, seq LIMIT ${BACKFILL_BATCH}`)
  const set = sqlite.prepare('UPDATE events SET digest = ? WHERE deployment_key = ? AND event_timestamp = ? AND seq = ?')
  let after = [Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]
  for (;;) {
    const rows = next.values(...after) as LegacyRow[]
    sqlite.transaction(() => {
      for (const [key, timestamp, seq, type, jobId, stepId, payloadJson] of rows) {
        let digest: number
        try {
          // canonicalJson, not the stored text: an older version may have written a number another way.
          digest = contentDigest({ type, jobId, stepId }, canonicalJson(parseJsonExact(payloadJson)), secret)
        } catch {
          digest = contentDigest({ type, jobId, stepId }, `raw:${payloadJson}`, secret)
        }
        set.run(digest, key, timestamp, seq)
      }
    })()
    if (rows.length < BACKFILL_BATCH) break
    const last = rows[rows.length - 1]!
    after = [last[0], last[1], last[2]]
  }
  sqlite.run("UPDATE meta SET value = 0 WHERE key = 'events_digest_backfill'")
}
