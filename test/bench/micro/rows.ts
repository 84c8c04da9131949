// Micro-benchmark of positional rows (bun:sqlite values()): a page of events read as arrays and mapped by
// position, as src/store/sqlite/event-pages.ts did, against the plain all() it now uses (objects keyed
// by column name, src/store/sqlite/events.ts EVENT_COLUMNS and storedEventOf); and a one-value lookup,
// values()[0][0] against get(). Usage: bun test/bench/micro/rows.ts
import { compare } from './harness'
import { DEPLOYMENT_ID, DEPLOYMENT_KEY, openBenchDatabase, rowOf, COLUMNS, PLACEHOLDERS } from './db'
import { EVENT_PAGE_SQL } from '../../../src/store/sqlite/event-pages'
import { EVENT_COLUMNS, PAYLOAD, storedEventOf, type EventRow } from '../../../src/store/sqlite/events'
import { createEventIds } from '../../../src/domain/ids'
import type { StoredEvent } from '../../../src/store/types'

const EVENTS = 20_000
const { sqlite, secret, close } = openBenchDatabase()
const insert = sqlite.prepare(`INSERT INTO events (${COLUMNS}) VALUES ${PLACEHOLDERS}`)
sqlite.transaction(() => {
  for (let n = 1; n <= EVENTS; n++) insert.run(...rowOf(n))
})()

const eventId = createEventIds(secret)
const toStoredEvent = storedEventOf(eventId)
const named = sqlite.prepare(EVENT_PAGE_SQL.plainPage)
// The same statement answering arrays, and the mapping by position it was read with.
const positional = sqlite.prepare(
  EVENT_PAGE_SQL.plainPage.replace(`SELECT ${EVENT_COLUMNS}`, `SELECT seq, id, event_type, event_timestamp, job_id, step_id, ${PAYLOAD}, created_at, arrival`),
)
type Positional = [seq: number, id: string | null, type: string, timestamp: number, jobId: string | null, stepId: string | null, payload: string, createdAt: number, arrival: number]
const fromArray = ([seq, id, eventType, eventTimestamp, jobId, stepId, payload, createdAt, arrival]: Positional): StoredEvent => ({
  seq,
  id: id ?? eventId(createdAt, seq),
  eventType,
  eventTimestamp,
  jobId,
  stepId,
  payload,
  createdAt,
  arrival,
})

/** The page's parameters, after a different stretch of the deployment each call. */
let page = 0
const params = (limit: number) => {
  const n = ((page++ * 977) % (EVENTS - limit)) + 1
  const first = rowOf(n)
  return { deploymentId: DEPLOYMENT_ID, fromTime: first[1], fromSeq: first[2], until: 2 ** 62, limit, offset: 0 }
}
const readArrays = (limit: number) => (positional.values(params(limit)) as unknown as Positional[]).map(fromArray)
const readObjects = (limit: number) => (named.all(params(limit)) as EventRow[]).map(toStoredEvent)
page = 0
const a = JSON.stringify(readArrays(101))
page = 0
if (a !== JSON.stringify(readObjects(101))) throw new Error('values() and all() read different events')

console.log('reading events (src/store/sqlite/event-pages.ts list), one page per op')
for (const limit of [101, 11]) {
  compare(`page of ${limit} rows: values() by position vs all() objects`, () => readArrays(limit), () => readObjects(limit), { same: false })
  compare(`page of ${limit} rows, the rows alone: values() vs all()`, () => positional.values(params(limit)), () => named.all(params(limit)), { same: false })
}

console.log('one-value lookup (src/store/sqlite/events.ts latest), one lookup per op')
const latest = sqlite.prepare('SELECT max(event_timestamp) AS latest FROM events WHERE deployment_key = ?')
compare(
  'values()[0][0] vs get().latest',
  () => latest.values(DEPLOYMENT_KEY)[0]![0] as number,
  () => (latest.get(DEPLOYMENT_KEY) as { latest: number }).latest,
)
close()
