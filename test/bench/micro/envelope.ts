// Micro-benchmark of the event list's hand-spliced answer (src/routes/events.ts GET, src/http/dto.ts
// eventJson): each stored payload text spliced into the page's JSON text, against the plain version that
// builds the page as objects (payloads parsed exactly, src/domain/json.ts) and calls JSON.stringify.
// Usage: bun test/bench/micro/envelope.ts
import { eventJson } from '../../../src/http/dto'
import { parseJsonExact } from '../../../src/domain/json'
import { formatTimestamp } from '../../../src/domain/time'
import type { StoredEvent } from '../../../src/store/types'
import { compare, EVENT } from './harness'

const base = Date.UTC(2026, 2, 7, 12) * 1000
const pageOf = (size: number, from: number): StoredEvent[] =>
  Array.from({ length: size }, (_, k) => {
    const i = from + k
    return {
      seq: i + 1,
      id: `evt-01jnq8${String(i).padStart(20, '0')}`,
      eventType: EVENT.type,
      eventTimestamp: base + i * 10_000,
      jobId: EVENT.job_id,
      stepId: EVENT.step_id,
      payload: JSON.stringify({ ...EVENT.payload, n: i }),
      createdAt: base + i * 10_000 + 2_345,
      arrival: i + 1,
    }
  })

const spliced = (events: StoredEvent[], total: number, offset: number, limit: number, next: string) =>
  `{"events":[${events.map(eventJson).join(',')}],"total":${total},"offset":${offset},"limit":${limit}${next ? `,"next_cursor":"${next}"` : ''}}`

const plain = (events: StoredEvent[], total: number, offset: number, limit: number, next: string) =>
  JSON.stringify({
    events: events.map((e) => ({
      id: e.id,
      event_type: e.eventType,
      step_id: e.stepId,
      job_id: e.jobId,
      payload: parseJsonExact(e.payload),
      event_timestamp: formatTimestamp(e.eventTimestamp),
      created_at: formatTimestamp(e.createdAt),
    })),
    total,
    offset,
    limit,
    ...(next ? { next_cursor: next } : {}),
  })

const CURSOR = 'eyJ0IjoxNzcyODg0ODAwMDAwMDAwLCJhIjoxMDB9.abcdef'
console.log('event list answer (src/routes/events.ts), one page per op')
for (const size of [100, 10]) {
  // Pages at different places (another second of the clock), as a reader pages along.
  const pages = Array.from({ length: 8 }, (_, p) => pageOf(size, p * size))
  let p = 0
  let q = 0
  compare(
    `${size} events: spliced text vs objects + JSON.stringify`,
    () => spliced(pages[p++ & 7]!, 5000, 0, size, CURSOR),
    () => plain(pages[q++ & 7]!, 5000, 0, size, CURSOR),
  )
}
