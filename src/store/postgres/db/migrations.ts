// The drizzle-kit migrations for PostgreSQL in drizzle/postgres/, embedded into the binary at build time.
// Adding a migration means adding its import here; test/db/migrations.test.ts fails until this list matches.
import journal from '../../../../drizzle/postgres/meta/_journal.json'
import m0000 from '../../../../drizzle/postgres/0000_init.sql' with { type: 'text' }
import m0001 from '../../../../drizzle/postgres/0001_meta.sql' with { type: 'text' }
import m0002 from '../../../../drizzle/postgres/0002_bytewise_ids.sql' with { type: 'text' }
import m0003 from '../../../../drizzle/postgres/0003_epoch_rows.sql' with { type: 'text' }
import type { Journal } from '../../migrations-folder'

export const PG_MIGRATION_SQL: Record<string, string> = {
  '0000_init': m0000,
  '0001_meta': m0001,
  '0002_bytewise_ids': m0002,
  '0003_epoch_rows': m0003,
}

export const PG_MIGRATION_JOURNAL: Journal = journal

/** The PostgreSQL schema this build knows: its latest migration's tag, and how many there are. */
export const PG_SCHEMA_VERSION = PG_MIGRATION_JOURNAL.entries.at(-1)!.tag
export const PG_SCHEMA_MIGRATIONS = PG_MIGRATION_JOURNAL.entries.length
