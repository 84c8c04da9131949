// The export's formats and its stream (docs/api.md §3.3, docs/events.md): NDJSON lines that are the list's items,
// or RFC 4180 CSV. The stream reads the events a page at a time, only when the client takes more, with a
// turn of the event loop before each page and a garbage collection now and then, so one export holds
// neither memory nor the server for long.
import { invalid } from '../domain/errors'
import { formatTimestamp } from '../domain/time'
import type { EventPosition, StoredEvent } from '../store/types'
import { eventJson } from './dto'
import { positionOf } from './event-query'
import { queryParam } from './paging'
import { nextTurn } from '../turn'

/**
 * Events read per page of an export: about 60 KB of text for ordinary events, about a millisecond of the
 * loop. Measured at 1 000 000 events, pages of 1 000 took the server from 59 MB to a peak of 109-118 MB,
 * pages of 250 to 99-107 MB (the garbage of the pages, not what they keep), at the same rate.
 */
export const EXPORT_PAGE = 250

export const EXPORT_FORMATS = {
  ndjson: { extension: 'ndjson', contentType: 'application/x-ndjson', head: '', line: ndjsonLine },
  csv: { extension: 'csv', contentType: 'text/csv; charset=utf-8', head: 'id,event_type,event_timestamp,created_at,job_id,step_id,payload\r\n', line: csvLine },
} as const
export type ExportFormat = (typeof EXPORT_FORMATS)[keyof typeof EXPORT_FORMATS]

/** `format`: ndjson (the default) or csv. */
export function readExportFormat(query: URLSearchParams): ExportFormat {
  const name = queryParam(query, 'format') ?? 'ndjson'
  if (!Object.hasOwn(EXPORT_FORMATS, name)) throw invalid('format', 'must be "ndjson" or "csv"')
  return EXPORT_FORMATS[name as keyof typeof EXPORT_FORMATS]
}

/**
 * The list item on one line. Valid JSON can hold a raw CR or LF only as whitespace between tokens (inside a
 * string they are escaped), so a stored payload spelled over several lines is put on one without change.
 */
function ndjsonLine(e: StoredEvent): string {
  const json = eventJson(e)
  return `${json.includes('\n') || json.includes('\r') ? json.replace(/[\r\n]/g, ' ') : json}\n`
}

/** RFC 4180: a field holding a quote, a comma, CR or LF is quoted, its quotes doubled. */
const csvField = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text)
/** Null is an empty field; an empty string is `""`, so the two stay apart. */
const csvOptional = (text: string | null) => (text === null ? '' : text === '' ? '""' : csvField(text))

export function csvLine(e: StoredEvent): string {
  return `${e.id},${e.eventType},${formatTimestamp(e.eventTimestamp)},${formatTimestamp(e.createdAt)},${csvOptional(e.jobId)},${csvOptional(e.stepId)},${csvField(e.payload)}\r\n`
}


/**
 * A long export asks for a full garbage collection every this many pages (100 000 events), at most once a
 * second across the server. Measured at 1 000 000 events: the pages' garbage took the server from 59 MB
 * to 99-112 MB before the collector ran on its own; with these collections the peak stays at 88-90 MB,
 * at the same rate, for one collection of up to about 15 ms per 100 000 events.
 */
const COLLECT_EVERY_PAGES = 400
const COLLECT_GAP_MS = 1000
let lastCollection = 0
function collectGarbage() {
  const now = performance.now()
  if (now - lastCollection < COLLECT_GAP_MS) return
  lastCollection = now
  Bun.gc(true)
}

/**
 * The export's body. `first` is the first page, read before the answer starts (so that a failure there is
 * still an error answer); `read` reads the page after a position. A page shorter than EXPORT_PAGE is the
 * last. A client that goes away cancels the stream, and no further page is read.
 */
export function exportStream(
  format: ExportFormat,
  first: StoredEvent[],
  read: (after: EventPosition) => Promise<StoredEvent[]>,
  onError: (error: unknown) => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let pending: StoredEvent[] | null = first
  let after: EventPosition | null = null
  let cancelled = false
  let pages = 0
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (format.head) controller.enqueue(encoder.encode(format.head))
      },
      async pull(controller) {
        try {
          let events = pending
          pending = null
          if (events === null) {
            await nextTurn()
            if (cancelled) return
            events = await read(after!)
          }
          let text = ''
          for (const event of events) text += format.line(event)
          if (text) controller.enqueue(encoder.encode(text))
          if (++pages % COLLECT_EVERY_PAGES === 0) collectGarbage()
          if (events.length < EXPORT_PAGE) controller.close()
          else after = positionOf(events[events.length - 1]!)
        } catch (error) {
          // The answer has started: all that is left is to break it off, so the client sees it incomplete.
          onError(error)
          controller.error(error)
        }
      },
      cancel() {
        cancelled = true
      },
    },
    // At most one page waits to be sent.
    { highWaterMark: 1 },
  )
}
