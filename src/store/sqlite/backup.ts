// Backups and restores of the one SQLite file (docs/operations.md "Backup and restore").
// A backup is `VACUUM INTO`: SQLite writes a compacted copy of the database as one read transaction
// sees it, so the copy is consistent however many commits land meanwhile. In WAL mode a read transaction
// never blocks the writer: ingestion goes on, and the WAL grows until the backup's snapshot is released
// (the checkpointer cannot copy frames past it). bun:sqlite does not expose SQLite's online backup API.
// Inside the server the copy runs on a worker thread with its own connection, so that the event loop
// never waits for it; the CLI runs it in its own process.
// A backup carries its schema version: drizzle's __drizzle_migrations table is copied with the rest.
import { Database } from 'bun:sqlite'
import { closeSync, existsSync, fdatasync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { AppError } from '../../domain/errors'
import { MIGRATION_JOURNAL } from './db/migrations'
import { workerFrom } from './inline-worker'

/** The schema version this binary writes: the number of migrations it carries. */
export const SCHEMA_VERSION = MIGRATION_JOURNAL.length
/** The newest migration this binary knows, by drizzle's `created_at` (the journal's `when`). */
const NEWEST_KNOWN = Math.max(...MIGRATION_JOURNAL.map((entry) => entry.when))

// Plain JavaScript, run from a Blob URL (like src/store/sqlite/checkpointer.ts): the compiled binary
// carries it without a second entry point. One worker per backup; it exits when done.
const WORKER_SOURCE = `
import { Database } from 'bun:sqlite'
self.onmessage = (message) => {
  const { path, out } = message.data
  let db = null
  try {
    db = new Database(path)
    db.run('PRAGMA busy_timeout = 5000')
    db.query('VACUUM INTO ?').run(out)
    postMessage({ ok: true })
  } catch (error) {
    postMessage({ ok: false, error: String(error && error.message || error) })
  } finally {
    try { db && db.close() } catch {}
    self.close()
  }
}
`

/** An empty file only the owner may read: VACUUM INTO fills an empty file, and would create one 0644. */
function createPrivate(out: string) {
  closeSync(openSync(out, 'wx', 0o600))
}

/** Writes a consistent snapshot of the database at `path` to `out` (which must not exist), on this thread. */
export function vacuumInto(path: string, out: string): void {
  createPrivate(out)
  const db = new Database(path)
  try {
    db.run('PRAGMA busy_timeout = 5000')
    db.query('VACUUM INTO ?').run(out)
  } finally {
    db.close()
  }
  flushFile(out)
}

/**
 * The same, on a worker thread with its own connection: the caller's event loop stays free. The file is
 * flushed as it grows, a few MiB at a time, off the event loop: left to the kernel, or flushed whole at the
 * end, its 175 MiB of dirty pages (at 1 000 000 events) queued the server's own WAL flushes behind them on
 * the same disk (measured: a 500-850 ms stall of its reports; docs/operations.md).
 */
export async function vacuumIntoOnWorker(path: string, out: string): Promise<void> {
  createPrivate(out)
  const fd = openSync(out, 'r+')
  let flushing = false
  const flusher = setInterval(() => {
    if (flushing) return
    flushing = true
    fdatasync(fd, () => (flushing = false))
  }, FLUSH_EVERY_MS)
  try {
    await copyOnWorker(path, out)
  } finally {
    clearInterval(flusher)
    while (flushing) await Bun.sleep(5)
    closeSync(fd)
  }
}

function copyOnWorker(path: string, out: string): Promise<void> {
  const worker = workerFrom(WORKER_SOURCE)
  return new Promise<void>((resolve, reject) => {
    worker.onmessage = ({ data }: MessageEvent<{ ok: boolean; error?: string }>) => {
      if (data.ok) resolve()
      else reject(new Error(data.error ?? 'the backup failed'))
    }
    worker.onerror = (event) => reject(new Error(`the backup worker failed: ${event.message}`))
    worker.postMessage({ path, out })
  })
}

/** VACUUM INTO writes its file without a sync: a backup that says it is done must be on disk. */
function flushFile(path: string) {
  const fd = openSync(path, 'r+')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  const dir = openSync(dirname(path), 'r')
  try {
    fsyncSync(dir)
  } catch {
    // Some filesystems refuse fsync on a directory; the file itself is flushed.
  } finally {
    closeSync(dir)
  }
}

const SNAPSHOT_MARK = '.snapshot-'
const FLUSH_EVERY_MS = 50

/** The server's backups (POST /api/admin/backup): one at a time, each to a new file beside the database. */
export function createBackups(path: string) {
  let running = false
  let counter = 0
  return {
    async run(): Promise<string> {
      if (path === ':memory:') throw new AppError('UNAVAILABLE', 'an in-memory database has no file to back up')
      if (running) throw new AppError('CONFLICT', 'a backup is already being made: wait for it to finish')
      running = true
      const out = `${path}${SNAPSHOT_MARK}${process.pid}-${++counter}.tmp`
      try {
        await vacuumIntoOnWorker(path, out)
        return out
      } catch (error) {
        rmSync(out, { force: true })
        // A full disk, most likely: the server goes on; the admin is told why in words (503, not 500).
        throw new AppError('UNAVAILABLE', `the backup could not be made: ${(error as Error).message}`)
      } finally {
        running = false
      }
    },
  }
}

/** Deletes snapshots a previous server left behind (it stopped while one was being made or sent). */
export function removeStaleSnapshots(path: string) {
  const prefix = basename(path) + SNAPSHOT_MARK
  try {
    for (const name of readdirSync(dirname(path))) if (name.startsWith(prefix) && name.endsWith('.tmp')) rmSync(join(dirname(path), name), { force: true })
  } catch {
    // An unreadable directory: the database itself would not have opened.
  }
}

export type BackupResult = { ok: true; bytes: number; schemaVersion: number } | { ok: false; reason: string }

/**
 * The CLI's backup: a snapshot written beside `out` and renamed to it once complete and flushed, so a
 * file named `out` is always a whole backup. Refuses an `out` that exists.
 */
export async function backupFile(db: string, out: string): Promise<BackupResult> {
  if (!existsSync(db)) return { ok: false, reason: `${db} does not exist` }
  if (existsSync(out)) return { ok: false, reason: `${out} exists: choose a new file name` }
  const source = inspectDatabase(db, { integrity: false })
  if (!source.ok) return source
  const partial = `${out}.partial-${process.pid}`
  rmSync(partial, { force: true })
  try {
    await vacuumIntoOnWorker(db, partial)
    renameSync(partial, out)
    flushFile(out)
  } catch (error) {
    return { ok: false, reason: (error as Error).message }
  } finally {
    rmSync(partial, { force: true })
  }
  return { ok: true, bytes: statSync(out).size, schemaVersion: source.schemaVersion }
}

export type Inspection =
  | { ok: true; schemaVersion: number }
  | { ok: false; reason: string }

/**
 * Is `path` a Ground Console database this binary can run on? Reads it only (nothing is migrated): SQLite's
 * integrity check, the migrations table, and no migration newer than the ones this binary carries.
 */
export function inspectDatabase(path: string, { integrity: checkIntegrity = true }: { integrity?: boolean } = {}): Inspection {
  let db: Database
  try {
    db = new Database(path, { readonly: true })
  } catch (error) {
    return { ok: false, reason: `cannot open it as SQLite: ${(error as Error).message}` }
  }
  try {
    // Not asked of the live database a backup is made of (it would be read twice); a backup is checked
    // in full when it is restored.
    let integrity = ['ok']
    try {
      if (checkIntegrity) integrity = (db.query('PRAGMA integrity_check').values() as unknown[][]).map((row) => String(row[0]))
      else db.query('SELECT count(*) FROM sqlite_master').get()
    } catch (error) {
      return { ok: false, reason: `not a SQLite database (${(error as Error).message})` }
    }
    if (integrity.length !== 1 || integrity[0] !== 'ok')
      return { ok: false, reason: `SQLite's integrity check failed: ${integrity.slice(0, 5).join('; ')}` }
    const table = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get()
    const events = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get()
    if (!table || !events) return { ok: false, reason: 'not a Ground Console database (no migrations table or no events table)' }
    const { count, newest } = db.query('SELECT count(*) AS count, max(created_at) AS newest FROM __drizzle_migrations').get() as { count: number; newest: number | null }
    if (count === 0) return { ok: false, reason: 'not a Ground Console database (no migration was ever applied)' }
    if ((newest ?? 0) > NEWEST_KNOWN || count > SCHEMA_VERSION)
      return {
        ok: false,
        reason: `it was made by a newer version of Ground Console (schema version ${count}; this binary knows up to ${SCHEMA_VERSION}): restore it with that version or a later one`,
      }
    return { ok: true, schemaVersion: count }
  } finally {
    db.close()
  }
}

/**
 * A running server names itself in `<db>.pid` (as PostgreSQL's postmaster.pid does) and removes it when
 * it stops. SQLite's own locks cannot tell from outside: an idle WAL connection holds none on the file,
 * and a server killed leaves its -wal and -shm behind.
 */
export const pidFileOf = (db: string) => `${db}.pid`

/** Writes the pid file; answers a function that removes it (only if it still names this process). */
export function claimPidFile(db: string): () => void {
  const file = pidFileOf(db)
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 })
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true })
    } catch {
      // Already gone.
    }
  }
}

/** The pid of a live process that has `db` open as its server, or null (no pid file, or a stale one). */
export function serverUsing(db: string): number | null {
  let pid: number
  try {
    pid = Number(readFileSync(pidFileOf(db), 'utf8').trim())
  } catch {
    return null
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return null
  try {
    process.kill(pid, 0)
    return pid
  } catch (error) {
    // EPERM: it lives, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : null
  }
}

export type RestoreResult = { ok: true; schemaVersion: number } | { ok: false; reason: string }

/**
 * Installs the backup `from` as the database `db`: copies it beside the target, checks the copy, flushes
 * it, then renames it over the target (and removes the target's stale -wal and -shm). Never in place.
 */
export function restoreDatabase(from: string, db: string, force: boolean): RestoreResult {
  if (!existsSync(from)) return { ok: false, reason: `${from} does not exist` }
  if (!statSync(from).isFile()) return { ok: false, reason: `${from} is not a file` }
  if (existsSync(db)) {
    if (!force) return { ok: false, reason: `${db} exists: pass --force to replace it (stop the server first)` }
    const pid = serverUsing(db)
    if (pid !== null)
      return {
        ok: false,
        reason: `${db} is in use by a running server (process ${pid}, from ${pidFileOf(db)}): stop the server first (if no server runs on it, delete that file)`,
      }
  }
  const staging = `${db}.restore-${process.pid}.tmp`
  rmSync(staging, { force: true })
  try {
    // Through SQLite rather than a byte copy: a source that is itself a live database (with a -wal beside
    // it) is copied as one consistent snapshot, and the result is a compact single file.
    const checked = inspectDatabase(from)
    if (!checked.ok) return checked
    vacuumInto(from, staging)
    const copy = inspectDatabase(staging)
    if (!copy.ok) return copy
    for (const suffix of ['-wal', '-shm']) rmSync(db + suffix, { force: true })
    renameSync(staging, db)
    flushFile(db)
    return copy
  } finally {
    rmSync(staging, { force: true })
  }
}
