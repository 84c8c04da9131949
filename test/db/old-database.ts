// Databases as earlier releases left them, for upgrade tests: the first `count` embedded migrations applied
// through drizzle's migrator, and the rows every such test needs (a user, a mission and a plan).
import { Database } from 'bun:sqlite'
import { drizzle } from 'drizzle-orm/bun-sqlite'
import type { MigrationMeta } from 'drizzle-orm/migrator'
import { embeddedMigrations } from '../../src/store/sqlite/db/open'

/** 2: release 0.1.0 (events in deployment_events); 3: release 0.2 (the clustered events table). */
export function openAtMigration(path: string, count: number): Database {
  const db = drizzle(new Database(path, { create: true, strict: true }))
  const internal = db as unknown as { dialect: { migrate(m: MigrationMeta[], s: unknown, c: object): void }; session: unknown }
  internal.dialect.migrate(embeddedMigrations().slice(0, count), internal.session, { migrationsFolder: 'embedded' })
  const sqlite = db.$client
  sqlite.run("INSERT INTO users VALUES ('usr-1', 'a@example.com', NULL, 'admin', 'x', 1)")
  sqlite.run("INSERT INTO missions VALUES ('mis-1', 'usr-1', 'm', NULL, 1)")
  sqlite.run(`INSERT INTO plans VALUES ('plan-1', 'usr-1', 'mis-1', 'p', 'sat', NULL, NULL, '{"events":[{"type":"job.accepted","timestamp_s":0}]}', 1, 1)`)
  return sqlite
}
