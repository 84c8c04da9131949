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
  /**
   * False once its thread failed or could not open the file, or it was stopped: walk in process then (a
   * walk it refused for that reason is walked in process too: src/store/sqlite/event-pages.ts).
   */
  readonly usable: boolean
  /** Stops its thread; resolves once its connection is closed (at most a second). */
  stop(): Promise<void>
}

// Plain JavaScript, run from a Blob URL: the compiled binary carries it without a second entry point.
// Its connection is opened at the first walk and closed after a second without one: an idle server keeps
// no second connection that a close, a restore or the last connection's own checkpoint would meet.
const WORKER_SOURCE = `
import { Database } from 'bun:sqlite'
import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'
let path = null
let sql = null
let db = null
let statements = null
let idle = null
const IDLE_MS = 1000
function close() {
  db?.close()
  db = null
  statements = null
}
self.onmessage = ({ data }) => {
  if (data.command === 'start') {
    path = data.path
    sql = data.sql
    // Below the event loop's thread when both want a core (nice 10, this thread only: Linux's per-thread
    // nice): on 2 cores shared with the load, a walk taking a whole core pushed other tenants' report p99
    // to 4.9× its unloaded p99 (docs/performance.md).
    try {
      setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10)
    } catch {}
    return
  }
  if (data.command === 'stop') {
    clearTimeout(idle)
    close()
    postMessage({ stopped: true })
    self.close()
    return
  }
  try {
    if (db === null)
      try {
        db = new Database(path, { readonly: true, strict: true })
        db.run('PRAGMA busy_timeout = 5000')
        statements = {}
        for (const [name, text] of Object.entries(sql)) statements[name] = db.prepare(text)
      } catch (error) {
        close()
        postMessage({ id: data.id, error: String(error?.message ?? error), code: error?.code, unusable: true })
        return
      }
    clearTimeout(idle)
    idle = setTimeout(close, IDLE_MS)
    postMessage({ id: data.id, row: statements[data.op].values(data.params)[0] ?? null })
  } catch (error) {
    postMessage({ id: data.id, error: String(error?.message ?? error), code: error?.code })
  }
}
`

type Answer = { id?: number; row?: unknown[] | null; error?: string; code?: string; stopped?: true; unusable?: true }

/** Starts the worker on the database file at `path` (in WAL mode, opened by this process). */
export function startRowWalker(path: string, sql: WalkStatements): RowWalker {
  const worker = workerFrom(WORKER_SOURCE)
  // Bun's Worker has unref(); the DOM's Worker type (the console's JSX types load lib.dom) does not say so.
  ;(worker as Worker & { unref(): void }).unref()
  worker.postMessage({ command: 'start', path, sql })
  const waiting = new Map<number, { resolve(row: unknown[] | null): void; reject(error: unknown): void }>()
  let nextId = 0
  let broken: Error | null = null

  let stopped = () => {}
  worker.onmessage = ({ data }: MessageEvent<Answer>) => {
    if (data.stopped) return stopped()
    const caller = waiting.get(data.id!)
    if (!caller) return
    waiting.delete(data.id!)
    // Its SQLite code travels with it: SQLITE_BUSY is a 503 as on the event loop (Store.isUnavailable).
    const error = data.error === undefined ? null : Object.assign(new Error(data.error), { code: data.code })
    // It could not open the file (read-only, say): set aside, and the caller walks in process.
    if (data.unusable) broken ??= error
    if (error) caller.reject(error)
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
      const closed = new Promise<void>((resolve) => {
        // Not unref'd: it is what keeps a process that is only waiting for this close alive until the
        // thread answers (an unref'd wait let the command line exit with 0 before its own exit code).
        const timer = setTimeout(resolve, 1000)
        stopped = () => {
          clearTimeout(timer)
          resolve()
        }
        // A thread that failed answers nothing: its connection is gone with it.
        if (broken) stopped()
      })
      worker.postMessage({ command: 'stop' })
      broken ??= Object.assign(new Error('the store is closed'), { code: 'SQLITE_MISUSE' })
      for (const caller of waiting.values()) caller.reject(broken)
      waiting.clear()
      return closed
    },
  }
}
