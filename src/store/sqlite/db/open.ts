// Opens the SQLite file with the settings that make acknowledged writes durable, and applies the
// embedded migrations. Nothing else in the project issues PRAGMAs or DDL.
import { Database } from 'bun:sqlite'
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { drizzle, type BunSQLiteDatabase } from 'drizzle-orm/bun-sqlite'
import { migrate as migrateFolder } from 'drizzle-orm/bun-sqlite/migrator'
import { withMigrationsFolder } from '../../migrations-folder'
import * as schema from './schema'
import { MIGRATION_JOURNAL, MIGRATION_SQL, SCHEMA_VERSION, SQLITE_JOURNAL } from './migrations'

export type Durability = 'full' | 'normal'
export type Db = BunSQLiteDatabase<typeof schema> & { $client: Database }

export type OpenOptions = { durability?: Durability; busyTimeoutMs?: number }

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  if (path !== ':memory:') prepareFile(path)
  const sqlite = new Database(path, { create: true, strict: true })
  // WAL: readers never block the writer and a commit is one sequential append, not a rewrite of pages.
  sqlite.run('PRAGMA journal_mode = WAL')
  // FULL fsyncs the WAL at every commit, so an event we answered 201 for survives a power cut. NORMAL
  // (opt-in) may lose the last commits on power loss, though never on a process crash.
  sqlite.run(`PRAGMA synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`)
  // Another process (the admin CLI) may hold the write lock for a moment: wait for it instead of failing.
  sqlite.run(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 5000}`)
  // SQLite leaves foreign keys unenforced unless asked, per connection.
  sqlite.run('PRAGMA foreign_keys = ON')
  const db = drizzle(sqlite, { schema }) as Db
  // Before temp_store = MEMORY: a migration that indexes every event sorts all of them, and in memory
  // that sort alone would need about 60 bytes per event (measured at 3 000 000 events: 227 MB peak in
  // memory, 58 MB spilling to temporary files).
  try {
    migrate(db, path)
  } catch (error) {
    sqlite.close()
    throw error
  }
  // Temporary b-trees (sorts, counts) stay in memory instead of temporary files.
  sqlite.run('PRAGMA temp_store = MEMORY')
  return db
}

/** Creates the data directory and an empty database file that only the owner may read. */
function prepareFile(path: string) {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600))
  // SQLite gives its -wal and -shm files the permissions of the database file, so this covers them too.
  chmodSync(path, 0o600)
}

/** A database migrated by a newer version of the server: refused at start instead of being half understood. */
export class NewerSchemaError extends Error {}

/**
 * Refuses a database whose applied migrations include any this build does not know (a downgrade): its
 * tables may have columns or constraints this code would write around or break. drizzle records each
 * applied migration with its journal time (`created_at`), which is what identifies it here.
 */
export function refuseNewerSchema(sqlite: Database, path: string) {
  const table = sqlite.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get()
  if (!table) return
  const known = new Set(MIGRATION_JOURNAL.map((entry) => entry.when))
  const applied = sqlite.query('SELECT created_at FROM __drizzle_migrations ORDER BY created_at').all() as Array<{ created_at: number | string }>
  const unknown = applied.map((row) => Number(row.created_at)).filter((when) => !known.has(when))
  if (unknown.length === 0) return
  const latest = new Date(Math.max(...unknown)).toISOString()
  throw new NewerSchemaError(
    `the database ${path} has ${unknown.length} migration${unknown.length === 1 ? '' : 's'} this version does not know (the latest from ${latest}): ` +
      `it was upgraded by a newer ground-console, whose schema this version (schema ${SCHEMA_VERSION}) cannot use safely. ` +
      'Run the newer version again, or restore a backup taken before the upgrade (docs/operations.md "Upgrade and downgrade").',
  )
}

function migrate(db: Db, path: string) {
  refuseNewerSchema(db.$client, path)
  // drizzle's public migrator, on the embedded files written out to a private folder for it to read
  // (src/store/migrations-folder.ts); it records each one in __drizzle_migrations.
  withMigrationsFolder(SQLITE_JOURNAL, MIGRATION_SQL, (migrationsFolder) => migrateFolder(db, { migrationsFolder }))
}
