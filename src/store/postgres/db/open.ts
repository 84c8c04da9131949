// Connects to PostgreSQL with the settings that make an acknowledged write committed and durable, and
// applies the embedded migrations through drizzle's public migrator under an advisory lock, so that
// several nodes starting at once migrate once (docs/postgres.md). Nothing else in the backend issues DDL.
import { SQL } from 'bun'
import { drizzle, type BunSQLDatabase } from 'drizzle-orm/bun-sql'
import { migrate } from 'drizzle-orm/bun-sql/migrator'
import { withMigrationsFolder } from '../../migrations-folder'
import * as schema from './schema'
import { PG_MIGRATION_JOURNAL, PG_MIGRATION_SQL, PG_SCHEMA_VERSION } from './migrations'

export type PgDb = BunSQLDatabase<typeof schema> & { $client: SQL }

export type PgOptions = {
  /** Connections in this node's pool (default 16). */
  poolSize?: number
  /** Seconds to wait for a connection (default 5): a database that does not answer is a 503 after that. */
  connectTimeoutSeconds?: number
  /** Milliseconds a statement may run before the server cancels it (default 30 000): 503, never a hang. */
  statementTimeoutMs?: number
}

/** The advisory lock key that migrations take: any constant both nodes agree on ("gc-migrate"). */
const MIGRATION_LOCK = 0x67632d6d6967

/** Opens the pool and brings the schema up to date. Throws NewerSchemaError for a database a newer version migrated. */
export async function openPostgres(url: string, options: PgOptions = {}): Promise<PgDb> {
  await migrateOnce(url, options)
  const client = connect(url, options, options.poolSize ?? 16, options.statementTimeoutMs ?? 30_000)
  return drizzle({ client, schema }) as PgDb
}

/**
 * A pool whose connections send these runtime parameters: an answered write is a committed one
 * (synchronous_commit on, whatever the server's default), in UTC, and no statement runs longer than
 * `statementTimeoutMs` (0: no limit).
 */
function connect(url: string, options: PgOptions, max: number, statementTimeoutMs: number): SQL {
  return new SQL(url, {
    adapter: 'postgres',
    max,
    connectionTimeout: options.connectTimeoutSeconds ?? 5,
    connection: {
      synchronous_commit: 'on',
      TimeZone: 'UTC',
      statement_timeout: statementTimeoutMs,
      application_name: 'ground-console',
    },
  })
}

/** A database migrated by a newer version of the server: refused at start instead of being half understood. */
export class NewerPgSchemaError extends Error {}

/**
 * Migrates on a client of its own, closed once done, whose two connections have no statement timeout: a
 * second node waits for the lock as long as the first takes to migrate, and a long migration's DDL is
 * not cut off (the pool's statement_timeout is for requests). The lock is a session lock on one of them;
 * drizzle's migrator uses the other.
 */
async function migrateOnce(url: string, options: PgOptions) {
  const client = connect(url, options, 2, 0)
  try {
    const db = drizzle({ client, schema }) as PgDb
    const lock = await client.reserve()
    try {
      await lock`SELECT pg_advisory_lock(${MIGRATION_LOCK})`
      try {
        await refuseNewerSchema(db)
        await withMigrationsFolder(PG_MIGRATION_JOURNAL, PG_MIGRATION_SQL, (migrationsFolder) => migrate(db, { migrationsFolder }))
      } finally {
        await lock`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`
      }
    } finally {
      lock.release()
    }
  } finally {
    await client.close()
  }
}

/** Refuses a database whose applied migrations include one this build does not know (a downgrade). */
async function refuseNewerSchema(db: PgDb) {
  const [table] = await db.$client`SELECT to_regclass('drizzle.__drizzle_migrations') AS name`
  if (!table?.name) return
  const known = new Set(PG_MIGRATION_JOURNAL.entries.map((entry) => entry.when))
  const applied = (await db.$client`SELECT created_at FROM drizzle.__drizzle_migrations`) as Array<{ created_at: string | number }>
  const unknown = applied.map((row) => Number(row.created_at)).filter((when) => !known.has(when))
  if (unknown.length === 0) return
  throw new NewerPgSchemaError(
    `the database has ${unknown.length} migration${unknown.length === 1 ? '' : 's'} this version does not know (the latest from ${new Date(Math.max(...unknown)).toISOString()}): ` +
      `it was upgraded by a newer ground-console, whose schema this version (schema ${PG_SCHEMA_VERSION}) cannot use safely.`,
  )
}
