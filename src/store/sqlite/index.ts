// The SQLite implementation of the Store: opens the file (src/store/sqlite/db/open.ts) and joins the per-resource parts.
import { statSync } from 'node:fs'
import { openDatabase, type OpenOptions } from './db/open'
import { SCHEMA_MIGRATIONS, SCHEMA_VERSION } from './db/migrations'
import type { Store } from '../types'
import { createAccountStore } from './accounts'
import { createAgentStore } from './agents'
import { backfillArrivals, type ProgressReport } from './arrival-backfill'
import { createCatalogStore } from './catalog'
import { createDeploymentStore } from './deployments'
import { startCheckpointer } from './checkpointer'
import { startRowWalker } from './row-walker'
import { EVENT_PAGE_SQL } from './event-pages'
import { createDurableCommits, type DurableOptions } from './durable'
import { createRetentionStore } from './retention'
import { createBackups } from './backup'
import { createWebhookStores } from './webhooks'
import { createAuditStore } from './audit'

/** Told how far start-up work on a large database has got (the arrival numbering after an upgrade). */
type StartOptions = { onProgress?: ProgressReport }

/** DurableOptions: how event commits are flushed and what happens if a flush fails (src/store/sqlite/durable.ts). */
export function createSqliteStore(path: string, options: OpenOptions & DurableOptions & StartOptions = {}): Store {
  const db = openDatabase(path, options)
  const durable = createDurableCommits(db.$client, path, options.durability ?? 'full', options)
  // Checkpoints move off the event loop (src/store/sqlite/checkpointer.ts); an in-memory database has no WAL.
  const checkpointer = path === ':memory:' ? null : startCheckpointer(db.$client, path, options.onCheckpointError)
  // Deep offsets and counts off the event loop (src/store/sqlite/row-walker.ts).
  const walker = path === ':memory:' ? null : startRowWalker(path, { keyAfter: EVENT_PAGE_SQL.keyAfter, count: EVENT_PAGE_SQL.count })
  // Before the deployment store exists, so before any event is appended: a new arrival is the highest plus one.
  backfillArrivals(db.$client, { onProgress: options.onProgress })
  const backups = createBackups(path)
  const webhooks = createWebhookStores(db, durable)
  const ping = db.$client.prepare('SELECT 1')
  const authEpoch = db.$client.prepare("SELECT value FROM meta WHERE key = 'auth_epoch'")
  const sessionEpoch = db.$client.prepare("SELECT value FROM meta WHERE key = 'session_epoch'")
  const deploymentStatuses = db.$client.prepare('SELECT status, count(*) AS n FROM deployments GROUP BY status')
  const agentStatuses = db.$client.prepare('SELECT status, count(*) AS n FROM agents GROUP BY status')
  const counted = (rows: unknown[]) => Object.fromEntries((rows as { status: string; n: number }[]).map((row) => [row.status, row.n]))
  const sizeOf = (file: string) => {
    try {
      return statSync(file).size
    } catch {
      return 0
    }
  }
  return {
    schema: { backend: 'sqlite', version: SCHEMA_VERSION, migrations: SCHEMA_MIGRATIONS },
    credentialsSharedWithNodes: false,
    async ping() {
      ping.get()
    },
    async authVersion() {
      return (authEpoch.get() as { value: number }).value
    },
    async sessionVersion() {
      return (sessionEpoch.get() as { value: number }).value
    },
    async countByStatus() {
      return { deployments: counted(deploymentStatuses.all()), agents: counted(agentStatuses.all()) }
    },
    fileSizes() {
      if (path === ':memory:') return { database: 0, wal: 0 }
      return { database: sizeOf(path), wal: sizeOf(`${path}-wal`) }
    },
    backup: () => backups.run(),
    isUnavailable: isSqliteUnavailable,
    // One server writes the file: no other node to hear from, and every replay is this node's.
    async watchOtherNodes() {
      return async () => {}
    },
    async close() {
      const walkerStopped = walker?.stop()
      checkpointer?.stop()
      // Everything into the database file and the WAL cut to nothing: a stopped server leaves one file
      // that a backup or a copy can take as it is (docs/operations.md "Shutdown"). A checkpoint that fails
      // (another process reading) leaves a WAL that the next start replays: nothing is lost either way.
      if (checkpointer)
        try {
          db.$client.query('PRAGMA wal_checkpoint(TRUNCATE)').get()
        } catch (error) {
          options.onCheckpointError?.(String(error))
        }
      durable.close()
      db.$client.close()
      await walkerStopped
    },
    ...createAccountStore(db, durable),
    ...createCatalogStore(db),
    ...createDeploymentStore(db, durable, webhooks.outbox, walker),
    ...createAgentStore(db, durable),
    ...createRetentionStore(db, durable),
    ...webhooks.store,
    ...createAuditStore(db),
  }
}

// SQLite result codes that mean "the database cannot take this request now", not "the request is wrong".
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|PROTOCOL|NOLFS)/
/** Store.isUnavailable for SQLite: by the error's result code. */
export const isSqliteUnavailable = (error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && SQLITE_UNAVAILABLE.test(code)
}
