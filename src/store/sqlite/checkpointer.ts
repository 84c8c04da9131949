// Checkpoints the WAL on a thread of its own. SQLite's automatic checkpoint runs inside the commit that
// crosses 1000 pages, on the event loop: it copies the WAL into the database file and fsyncs it, which
// held every request for ~100 ms after a 13 MiB batch (measured: 500 payloads of 28 KB commit in 150 ms
// with it, 55 ms without). Here a worker with its own connection runs a PASSIVE checkpoint every
// quarter second instead: it never takes the write lock, readers and writers go on, and its fsync blocks
// only its own thread. Its connection keeps synchronous=FULL, so the database file is flushed before
// SQLite lets any writer reuse the WAL (docs/limits.md).
import type { Database } from 'bun:sqlite'
import { workerFrom } from './inline-worker'

const INTERVAL_MS = 250

// Plain JavaScript, run from a Blob URL: the compiled binary carries it without a second entry point.
const WORKER_SOURCE = `
import { Database } from 'bun:sqlite'
let db = null
let timer = null
self.onmessage = (message) => {
  const { command, path, intervalMs } = message.data
  if (command === 'start') {
    db = new Database(path)
    db.run('PRAGMA busy_timeout = 5000')
    db.run('PRAGMA synchronous = FULL')
    const checkpoint = () => {
      try {
        const result = db.query('PRAGMA wal_checkpoint(PASSIVE)').get()
        postMessage({ checkpointed: result.checkpointed, log: result.log })
      } catch (error) {
        postMessage({ error: String(error) })
      }
    }
    timer = setInterval(checkpoint, intervalMs)
  } else if (command === 'stop') {
    clearInterval(timer)
    db?.close()
    postMessage({ stopped: true })
    self.close()
  }
}
`

export type Checkpointer = { stop(): void; onCheckpoint(listener: (frames: number) => void): void }

/** Failures reported at most this often: a checkpoint that keeps failing (the WAL then grows) is said once a minute. */
const ERROR_REPORT_EVERY_MS = 60_000

/** Turns off the in-commit checkpoint of `sqlite` and starts the worker that does it instead. */
export function startCheckpointer(sqlite: Database, path: string, onError: (message: string) => void = () => {}): Checkpointer {
  sqlite.run('PRAGMA wal_autocheckpoint = 0')
  // A WAL emptied by a checkpoint is reused from its start; past this size it is also truncated then.
  sqlite.run(`PRAGMA journal_size_limit = ${64 * 1024 * 1024}`)
  const worker = workerFrom(WORKER_SOURCE)
  // Bun's Worker has unref(); the DOM's Worker type (the console's JSX types load lib.dom) does not say so.
  ;(worker as Worker & { unref(): void }).unref()
  const listeners: Array<(frames: number) => void> = []
  let reportedAt = Number.NEGATIVE_INFINITY
  worker.onmessage = ({ data }: MessageEvent<{ checkpointed?: number; error?: string }>) => {
    if (data.error) {
      if (Date.now() - reportedAt < ERROR_REPORT_EVERY_MS) return
      reportedAt = Date.now()
      onError(data.error)
    }
    else if (data.checkpointed !== undefined) for (const listener of listeners) listener(data.checkpointed)
  }
  worker.postMessage({ command: 'start', path, intervalMs: INTERVAL_MS })
  return {
    stop() {
      worker.postMessage({ command: 'stop' })
    },
    onCheckpoint(listener) {
      listeners.push(listener)
    },
  }
}
