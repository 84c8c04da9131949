// Which backend a `--db` names (docs/postgres.md): a `postgres://` or `postgresql://` URL opens the
// PostgreSQL backend, anything else is the path of the embedded SQLite file (the default). The one module
// outside the backend folders that knows both.
import { isPostgresUrl } from '../domain/database-url'
import type { Store } from './types'
import { createSqliteStore } from './sqlite'
import type { OpenOptions } from './sqlite/db/open'
import type { DurableOptions } from './sqlite/durable'
import { createPostgresStore, type PostgresStoreOptions } from './postgres'

export type StoreOptions = {
  sqlite?: OpenOptions & DurableOptions & { onProgress?: (message: string, fields: Record<string, unknown>) => void }
  postgres?: PostgresStoreOptions
}

/** Opens the store `db` names. PostgreSQL connects in the background: `await store.ping()` to wait for it. */
export function openStore(db: string, options: StoreOptions = {}): Store {
  return isPostgresUrl(db) ? createPostgresStore(db, options.postgres) : createSqliteStore(db, options.sqlite)
}
