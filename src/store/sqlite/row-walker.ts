// Walks long stretches of a deployment's events on a thread of its own: the key `rows` rows on (a deep
// offset's start) and the count of a filter's matches. On the event loop such a walk is ~2 ms per 16 384
// rows, cut into stretches with a turn between; 20 clients paging at offset 500 000 still took the loop from
// everyone else (a quiet tenant's single report: p50 628 ms, docs/performance.md). Here a worker with its own
// read-only connection walks in one statement, and the event loop only waits for its answer. Its read
// starts after the request's, so it sees every commit the request could have seen. One walk at a time, in
// the order asked. A database in memory has no file to share, and a walker whose thread failed is of no
// use: the caller walks in process then.
import { workerFrom } from './inline-worker'

/** A place in the events' primary key, (event_timestamp, seq): a range read starts after one and ends at one. */
export type Key = [timestamp: number, seq: number]

export type WalkStatements = { keyAfter: string; count: string }

export type RowWalker = {
  /** The first row of `keyAfter` (its `skip` bound in the parameters), or null when there is none. */
  keyAfter(params: Record<string, string | number | null>): Promise<Key | null>
  /** The first column of `count`'s one row. */
  count(params: Record<string, string | number | null>): Promise<number>
  /** False once its thread failed (it could not open the file, say) or it was stopped: walk in process then. */
  readonly usable: boolean
  stop(): void
}

// Plain JavaScript, run from a Blob URL: the compiled binary carries it without a second entry point.
const WORKER_SOURCE = `
import { Database } from 'bun:sqlite'
let db = null
const statements = {}
self.onmessage = ({ data }) => {
  if (data.command === 'start') {
    db = new Database(data.path, { readonly: true, strict: true })
    db.run('PRAGMA busy_timeout = 5000')
    for (const [name, text] of Object.entries(data.sql)) statements[name] = db.prepare(text)
    return
  }
  if (data.command === 'stop') {
    db?.close()
    self.close()
    return
  }
  try {
    postMessage({ id: data.id, row: statements[data.op].values(data.params)[0] ?? null })
  } catch (error) {
    postMessage({ id: data.id, error: String(error?.message ?? error), code: error?.code })
  }
}
`

type Answer = { id: number; row?: unknown[] | null; error?: string; code?: string }

/** Starts the worker on the database file at `path` (in WAL mode, opened by this process). */
export function startRowWalker(path: string, sql: WalkStatements): RowWalker {
  const worker = workerFrom(WORKER_SOURCE)
  // Bun's Worker has unref(); the DOM's Worker type (the console's JSX types load lib.dom) does not say so.
  ;(worker as Worker & { unref(): void }).unref()
  worker.postMessage({ command: 'start', path, sql })
  const waiting = new Map<number, { resolve(row: unknown[] | null): void; reject(error: unknown): void }>()
  let nextId = 0
  let broken: Error | null = null

  worker.onmessage = ({ data }: MessageEvent<Answer>) => {
    const caller = waiting.get(data.id)
    if (!caller) return
    waiting.delete(data.id)
    // Its SQLite code travels with it: SQLITE_BUSY is a 503 as on the event loop (Store.isUnavailable).
    if (data.error !== undefined) caller.reject(Object.assign(new Error(data.error), { code: data.code }))
    else caller.resolve(data.row ?? null)
  }
  worker.onerror = (event) => {
    broken = Object.assign(new Error(`the event walker stopped: ${event.message}`), { code: 'SQLITE_IOERR_WORKER' })
    for (const caller of waiting.values()) caller.reject(broken)
    waiting.clear()
  }

  const ask = (op: keyof WalkStatements, params: Record<string, string | number | null>) =>
    new Promise<unknown[] | null>((resolve, reject) => {
      if (broken) return reject(broken)
      const id = nextId++
      waiting.set(id, { resolve, reject })
      worker.postMessage({ id, op, params })
    })

  return {
    async keyAfter(params) {
      return (await ask('keyAfter', params)) as Key | null
    },
    async count(params) {
      return ((await ask('count', params))?.[0] as number | undefined) ?? 0
    },
    get usable() {
      return broken === null
    },
    stop() {
      worker.postMessage({ command: 'stop' })
      broken ??= Object.assign(new Error('the store is closed'), { code: 'SQLITE_MISUSE' })
      for (const caller of waiting.values()) caller.reject(broken)
      waiting.clear()
    },
  }
}
