// Durable commits that do not stop the server while the disk flushes. Under synchronous=FULL, SQLite
// fsyncs the WAL inside COMMIT, and the whole event loop waits (measured: an eighth of the time under batch
// load). For event groups, the transaction instead commits under synchronous=NORMAL (the WAL frames are
// written, not flushed) and the WAL file is then flushed with fdatasync on a worker of the runtime's thread
// pool; callers are answered only after that flush. An acknowledgement therefore means what it means under
// FULL — the commit's frames are on disk — while the server goes on parsing the next requests.
// Flushes are shared: one that starts after a commit covers it, and every commit made while a flush runs
// waits for the next one.
import { closeSync, fdatasync, fstatSync, fsyncSync, openSync, realpathSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { promisify } from 'node:util'
import type { Database } from 'bun:sqlite'
import { AppError } from '../../domain/errors'
import type { Durability } from './db/open'

export type SyncFile = (fd: number) => Promise<void>
export const fdatasyncFile: SyncFile = promisify(fdatasync)

export type DurableCommits = {
  /** Runs a synchronous transaction; resolves once its commit is durable (as `--durability` asks). */
  commit<T>(transaction: () => T): Promise<T>
  /**
   * Runs a synchronous transaction and returns at once what it returned, with `durable`: settles once the
   * commit is durable, or rejects (503 UNAVAILABLE) when its flush failed. A transaction that throws
   * throws here, and nothing is flushed for it.
   */
  commitThenFlush<T>(transaction: () => T, onDurable?: (value: T) => void): { value: T; durable: Promise<void> }
  /**
   * Runs `callback` once every commit made so far is durable. Such callbacks (and commitThenFlush's
   * `onDurable`) run in the order of their commits, whichever flush covers them; never after a failed
   * flush. This is what makes news reach the streams in commit order (docs/streams.md).
   */
  afterDurable(callback: () => void): void
  /**
   * Runs a synchronous transaction under synchronous=NORMAL and does not wait for a flush: for writes that
   * nobody is told are durable (an agent's last_seen_at, a key's last_used_at), whose loss on a power cut
   * is harmless. The next flush or checkpoint makes them durable. Under FULL each such write fsynced on
   * the event loop (0.65 ms each here, more on a slower disk), once a second for every agent.
   */
  commitUnflushed<T>(transaction: () => T): T
  /**
   * Resolves once every commit made so far is durable. A write that decides on what it read (a cancel, a
   * dispatch) waits for it before answering: what it saw may have been committed but not yet flushed.
   */
  settled(): Promise<void>
  /** Throws the first flush failure, if there was one: nothing more may be committed then. */
  check(): void
  close(): void
}

export type DurableOptions = {
  syncFile?: SyncFile
  /** Told when a WAL checkpoint fails (src/store/sqlite/checkpointer.ts), at most once a minute. */
  onCheckpointError?: (message: string) => void
  /**
   * Called once when a flush fails. After that, nothing more is committed (503): once the kernel has
   * reported a failed write-back it may have dropped those pages and still let a later flush succeed, so no
   * later flush can be trusted. The server stops so that a restart recovers what is really on disk.
   */
  onFlushFailure?: (error: unknown) => void
  /** Told how long each successful flush of the WAL took, in seconds (GET /metrics). */
  onFlush?: (seconds: number) => void
}

export function createDurableCommits(sqlite: Database, path: string, durability: Durability, options: DurableOptions = {}): DurableCommits {
  const { syncFile = fdatasyncFile, onFlushFailure, onFlush } = options
  // Nothing to flush: an in-memory database, or `--durability normal`, which already commits without fsync.
  if (durability === 'normal' || path === ':memory:')
    return {
      commit: async (transaction) => transaction(),
      commitThenFlush(transaction, onDurable) {
        const value = transaction()
        // Durable already: told at once, after the caller has its value; queueMicrotask keeps the order.
        if (onDurable) queueMicrotask(() => onDurable(value))
        return { value, durable: Promise.resolve() }
      },
      afterDurable: (callback) => queueMicrotask(callback),
      commitUnflushed: (transaction) => transaction(),
      settled: async () => {},
      check() {},
      close() {},
    }

  // SQLite keeps the WAL beside the real file, wherever a symbolic link in the path leads.
  const walPath = `${realpathSync(path)}-wal`
  let fd: number | null = null
  let inFlight: Promise<void> | null = null
  let next: Promise<void> | null = null
  /** Set by the first failed flush: from then on, every commit is refused. */
  let failed: AppError | null = null

  /**
   * The WAL file's descriptor, reopened if the file was replaced since (a flush must reach this file). On
   * (re)opening, the directory is flushed too, so that the file's name survives a power cut: SQLite would
   * do so at its first fsync of a new WAL, which NORMAL commits never make.
   */
  function walFd(): number {
    const file = statSync(walPath)
    if (fd !== null) {
      const open = fstatSync(fd)
      if (open.ino === file.ino && open.dev === file.dev) return fd
    }
    if (fd !== null) closeSync(fd)
    fd = openSync(walPath, 'r')
    const directory = openSync(dirname(walPath), 'r')
    try {
      fsyncSync(directory)
    } finally {
      closeSync(directory)
    }
    return fd
  }

  /**
   * Commits made through commitThenFlush so far, and how many of them are known durable: the order in
   * which their callbacks, and afterDurable's, run (commitUnflushed writes announce nothing, so they do
   * not count, and nobody waits for them).
   */
  let committed = 0
  let durableUpTo = 0
  /** The last commit the flush in flight covers. */
  let inFlightUpTo = 0
  /** Callbacks waiting for commit number `upTo` to be durable, in commit order (afterDurable). */
  const waiting: Array<{ upTo: number; callback: () => void }> = []
  let draining = false

  /** Runs the waiting callbacks whose commits are durable, in order; a callback that throws is its own problem. */
  function drain() {
    if (draining) return
    draining = true
    try {
      while (waiting.length && waiting[0]!.upTo <= durableUpTo && !failed) {
        const { callback } = waiting.shift()!
        try {
          callback()
        } catch {}
      }
    } finally {
      draining = false
    }
  }

  function whenDurable(upTo: number, callback: () => void) {
    if (failed) return
    waiting.push({ upTo, callback })
    // Already durable: run it after the caller has returned, in order with the others. Otherwise make sure
    // a flush will cover it (a commit without a flush of its own, like last_seen_at, may be the last one).
    if (upTo <= durableUpTo) queueMicrotask(drain)
    else if (!next && !(inFlight && inFlightUpTo >= upTo)) durable().catch(() => {})
  }

  /** Flushes the WAL file to disk (fdatasync on the thread pool), making every commit so far durable. */
  function syncWal(): Promise<void> {
    const upTo = committed
    inFlightUpTo = upTo
    const started = (async () => {
      try {
        const began = performance.now()
        await syncFile(walFd())
        onFlush?.((performance.now() - began) / 1000)
        durableUpTo = Math.max(durableUpTo, upTo)
        drain()
      } catch (error) {
        const first = failed === null
        failed ??= new AppError('UNAVAILABLE', `storage could not make the write durable (${(error as { code?: string }).code ?? 'flush failed'}); retry later`)
        if (first) onFlushFailure?.(error)
        // Nothing committed after a failed write-back can be vouched for: those callbacks never run.
        waiting.length = 0
        throw failed
      }
    })().finally(() => {
      if (inFlight === started) inFlight = null
    })
    inFlight = started
    return started
  }

  /** A flush that starts after this moment: the one in flight may have started before the commit. */
  function durable(): Promise<void> {
    if (!inFlight) return syncWal()
    const after = () => {
      next = null
      // Frames written after a failed write-back are no safer for a later flush succeeding.
      if (failed) throw failed
      return syncWal()
    }
    next ??= inFlight.then(after, after)
    return next
  }

  async function settled() {
    await (next ?? inFlight)
    if (failed) throw failed
  }

  function commitUnflushed<T>(transaction: () => T): T {
    if (failed) throw failed
    sqlite.run('PRAGMA synchronous = NORMAL')
    try {
      return transaction()
    } finally {
      sqlite.run('PRAGMA synchronous = FULL')
    }
  }

  function commitThenFlush<T>(transaction: () => T, onDurable?: (value: T) => void): { value: T; durable: Promise<void> } {
    const value = commitUnflushed(transaction)
    committed++
    const flush = durable()
    // After durable(): the flush it asked for covers this commit, so whenDurable asks for none.
    if (onDurable) whenDurable(committed, () => onDurable(value))
    const done = flush.then(() => {
      // Even a flush that succeeded cannot vouch for this commit if an earlier one failed meanwhile.
      if (failed) throw failed
    })
    return { value, durable: done }
  }

  function afterDurable(callback: () => void) {
    whenDurable(committed, callback)
  }

  return {
    commitUnflushed,
    commitThenFlush,
    afterDurable,
    async commit(transaction) {
      const { value, durable } = commitThenFlush(transaction)
      await durable
      return value
    },
    settled,
    check() {
      if (failed) throw failed
    },
    close() {
      // A flush still running keeps its descriptor until it ends: closing it now could let the number be
      // reused, and the flush reach another file.
      const open = fd
      fd = null
      if (open !== null) void settled().catch(() => {}).finally(() => closeSync(open))
    },
  }
}
