// Databases as earlier releases left them, for upgrade tests: the first `count` embedded migrations applied
// through drizzle's migrator, and the rows every such test needs (a user, a mission and a plan).
import { Database } from 'bun:sqlite'
import { drizzle } from 'drizzle-orm/bun-sqlite'
import { migrate } from 'drizzle-orm/bun-sqlite/migrator'
import { MIGRATION_SQL, SQLITE_JOURNAL } from '../../src/store/sqlite/db/migrations'
import { withMigrationsFolder } from '../../src/store/migrations-folder'

/** 2: release 0.1.0 (events in deployment_events); 3: release 0.2 (the clustered events table). */
export function openAtMigration(path: string, count: number): Database {
  const db = drizzle(new Database(path, { create: true, strict: true }))
  const journal = { ...SQLITE_JOURNAL, entries: SQLITE_JOURNAL.entries.slice(0, count) }
  withMigrationsFolder(journal, MIGRATION_SQL, (migrationsFolder) => migrate(db, { migrationsFolder }))
  const sqlite = db.$client
  sqlite.run("INSERT INTO users VALUES ('usr-1', 'a@example.com', NULL, 'admin', 'x', 1)")
  sqlite.run("INSERT INTO missions VALUES ('mis-1', 'usr-1', 'm', NULL, 1)")
  sqlite.run(`INSERT INTO plans VALUES ('plan-1', 'usr-1', 'mis-1', 'p', 'sat', NULL, NULL, '{"events":[{"type":"job.accepted","timestamp_s":0}]}', 1, 1)`)
  return sqlite
}
