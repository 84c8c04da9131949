// The PostgreSQL implementation of the Store (docs/postgres.md): several nodes, each a plain
// `ground-console serve`, on one database. Opens the pool (src/store/postgres/db/open.ts), migrates once
// under a lock, and joins the per-resource parts. What one node keeps in memory is only ever a cache that
// the database tells it to drop (auth_epoch, session_epoch) or a per-node limit the README names.
import { AppError } from '../../domain/errors'
import { REPLAY_LEASE_MICROS } from '../../domain/deployment'
import type { Store } from '../types'
import { openPostgres, type PgOptions } from './db/open'
import { PG_SCHEMA_MIGRATIONS, PG_SCHEMA_VERSION } from './db/migrations'
import { isPostgresUnavailable } from './errors'
import { int } from './tx'
import { createAccountStore } from './accounts'
import { createAgentStore } from './agents'
import { createAuditStore } from './audit'
import { createCatalogStore } from './catalog'
import { createDeploymentStore } from './deployments'
import { createRetentionStore } from './retention'
import { createWebhookStores } from './webhooks'
import { NEWS_CHANNEL, parseNotice } from './news'

export type PostgresStoreOptions = PgOptions & {
  /** This node's name in replay leases and notices (default: a random one per start). */
  nodeId?: string
  /** How long a replay stays leased to its node without a renewal, in microseconds (default REPLAY_LEASE_MICROS). */
  replayLeaseMicros?: number
}


const POSTGRES_SCHEMA = { backend: 'postgres', version: PG_SCHEMA_VERSION, migrations: PG_SCHEMA_MIGRATIONS } as const

/** The Store's methods that do not return a promise: answered without waiting for the connection. */
type SyncMethods = 'schema' | 'credentialsSharedWithNodes' | 'fileSizes' | 'isUnavailable' | 'close'

/**
 * The store, at once: it connects and migrates in the background, and every call waits for that first
 * (a failure to connect rejects each call with its error: 503 at the HTTP layer). `url` may be a
 * function, for a database made just for it (the tests). `await store.ping()` to wait for it at start.
 */
export function createPostgresStore(url: string | (() => Promise<string>), options: PostgresStoreOptions = {}): Store {
  const opening = (async () => openParts(typeof url === 'string' ? url : await url(), options))()
  let parts: Store | null = null
  opening.then((opened) => (parts = opened), () => {})
  const sync: Pick<Store, SyncMethods> = {
    schema: POSTGRES_SCHEMA,
    credentialsSharedWithNodes: true,
    fileSizes: () => ({ database: 0, wal: 0 }),
    isUnavailable: isPostgresUnavailable,
    async close() {
      const opened = await opening.catch(() => null)
      await opened?.close()
    },
  }
  // One delegating function per method, made once: after the opening, a call costs one property read more.
  const delegates = new Map<string | symbol, unknown>()
  return new Proxy(sync as Store, {
    get(target, name) {
      if (name in target) return target[name as SyncMethods]
      // Not a thenable (an async function returning the store would wait on it), nor anything but methods.
      if (typeof name === 'symbol' || name === 'then' || name === 'toJSON') return undefined
      let delegate = delegates.get(name)
      if (!delegate) {
        delegate = (...args: unknown[]) => {
          if (parts) return (parts[name as keyof Store] as (...a: unknown[]) => unknown)(...args)
          return opening.then((opened) => (opened[name as keyof Store] as (...a: unknown[]) => unknown)(...args))
        }
        delegates.set(name, delegate)
      }
      return delegate
    },
  })
}

async function openParts(url: string, options: PostgresStoreOptions): Promise<Store> {
  const db = await openPostgres(url, options)
  const sql = db.$client
  const nodeId = options.nodeId ?? `node-${crypto.randomUUID()}`
  const [secretRow] = await sql`SELECT value FROM meta WHERE key = 'event_id_secret'`
  const secret = int(secretRow!.value)
  const webhooks = createWebhookStores(db)
  const counted = (rows: Array<{ status: string; n: unknown }>) => Object.fromEntries(rows.map((row) => [row.status, int(row.n)]))
  const epoch = async (key: string) => {
    const [row] = await sql`SELECT value FROM meta WHERE key = ${key}`
    return int(row!.value)
  }
  return {
    schema: POSTGRES_SCHEMA,
    credentialsSharedWithNodes: true,
    async ping() {
      await sql`SELECT 1`
    },
    authVersion: () => epoch('auth_epoch'),
    sessionVersion: () => epoch('session_epoch'),
    async countByStatus() {
      const [deployments, agents] = await Promise.all([
        sql`SELECT status, count(*) AS n FROM deployments GROUP BY status`,
        sql`SELECT status, count(*) AS n FROM agents GROUP BY status`,
      ])
      return { deployments: counted(deployments), agents: counted(agents) }
    },
    // The database's files are the PostgreSQL server's, on another machine perhaps: not this node's to measure.
    fileSizes: () => ({ database: 0, wal: 0 }),
    async backup(): Promise<string> {
      throw new AppError('CONFLICT', 'this server stores its data in PostgreSQL: back it up with pg_dump (docs/postgres.md "Backups")')
    },
    isUnavailable: isPostgresUnavailable,
    async watchOtherNodes(onNews, onRewatched) {
      // Bun's client re-subscribes after a dropped connection and calls onlisten again each time.
      let listening = false
      const subscription = await sql.listen(
        NEWS_CHANNEL,
        (payload) => {
          const news = parseNotice(payload, nodeId)
          if (news) onNews(news)
        },
        () => {
          if (listening) onRewatched?.()
          listening = true
        },
      )
      return () => subscription.unlisten()
    },
    async close() {
      // A node that stops hands its replays back, so that a node (this one restarted, or another) takes them
      // at once instead of when their leases run out (docs/postgres.md "Replays"). A database that does not
      // answer keeps them leased: they are taken over when the leases run out, as after a crash.
      try {
        await sql`UPDATE deployments SET replay_owner = NULL, replay_lease_until = NULL WHERE replay_owner = ${nodeId} AND replay_active = 1`
      } catch {}
      await sql.close({ timeout: 5 })
    },
    ...createAccountStore(db),
    ...createCatalogStore(db),
    ...createDeploymentStore(db, { alerts: webhooks.outbox, nodeId, secret, replayLeaseMicros: options.replayLeaseMicros ?? REPLAY_LEASE_MICROS }),
    ...createAgentStore(db),
    ...createRetentionStore(db),
    ...webhooks.store,
    ...createAuditStore(db),
  }
}
