// The drizzle-kit migrations in drizzle/, embedded into the binary at build time. Adding a migration means
// adding its import here; test/db/migrations.test.ts fails until this list matches drizzle/.
import journal from '../../../../drizzle/meta/_journal.json'
import type { Journal, JournalEntry } from '../../migrations-folder'
import m0000 from '../../../../drizzle/0000_init.sql' with { type: 'text' }
import m0001 from '../../../../drizzle/0001_auth_epoch.sql' with { type: 'text' }
import m0002 from '../../../../drizzle/0002_clustered_events.sql' with { type: 'text' }
import m0003 from '../../../../drizzle/0003_integrity.sql' with { type: 'text' }
import m0004 from '../../../../drizzle/0004_stream.sql' with { type: 'text' }
import m0005 from '../../../../drizzle/0005_administration.sql' with { type: 'text' }
import m0006 from '../../../../drizzle/0006_quotas.sql' with { type: 'text' }
import m0007 from '../../../../drizzle/0007_webhook_fairness.sql' with { type: 'text' }

export const MIGRATION_SQL: Record<string, string> = {
  '0000_init': m0000,
  '0001_auth_epoch': m0001,
  '0002_clustered_events': m0002,
  '0003_integrity': m0003,
  '0004_stream': m0004,
  '0005_administration': m0005,
  '0006_quotas': m0006,
  '0007_webhook_fairness': m0007,
}

/** drizzle-kit's journal as it is in drizzle/meta/_journal.json. */
export const SQLITE_JOURNAL: Journal = journal
export const MIGRATION_JOURNAL: JournalEntry[] = journal.entries

/**
 * The database schema this build knows: its latest migration's tag (`0007_webhook_fairness`) and how many there are.
 * Reported by `--version` and GET /healthz; a database with a migration not in this list is refused.
 */
export const SCHEMA_VERSION = MIGRATION_JOURNAL.at(-1)!.tag
export const SCHEMA_MIGRATIONS = MIGRATION_JOURNAL.length
