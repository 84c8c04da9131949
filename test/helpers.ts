// Test harness: a fresh app on its own database, request builders, and seeding through the real API.
// The backend comes from GC_TEST_BACKEND: `sqlite` (the default: a file in a temporary folder) or
// `postgres` (a fresh database per harness on the throwaway test cluster of test/pg-cluster.ts, or on
// GC_TEST_PG_URL; dropped at close). `bun run test:postgres` runs the API suites that way
// (test/run-on-postgres.ts says which, and why the rest are SQLite's alone).
import { afterEach, beforeEach } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp, type App } from '../src/app'
import { silentLogger, stderrLogger } from '../src/log'
import type { RateLimitConfig } from '../src/services/rate-limits'
import { createBus } from '../src/services/bus'
import { createReports } from '../src/services/reports'
import { Database } from 'bun:sqlite'
import { SQL } from 'bun'
import { createSqliteStore } from '../src/store/sqlite'
import { createPostgresStore } from '../src/store/postgres'
import { freshPgDatabase } from './pg-cluster'
import type { RetentionOptions } from '../src/services/retention'
import type { AgentLostOptions, OnAgentLost } from '../src/services/agent-lost'
import type { Store } from '../src/store/types'
import { checkAnswer } from './shapes'
import type { QuotaConfig } from '../src/domain/quota'
import type { Metrics } from '../src/metrics'

/** Cheap argon2id settings: tests hash many passwords; production uses Bun's defaults. */
export const TEST_PASSWORD_OPTIONS = { algorithm: 'argon2id', memoryCost: 4096, timeCost: 1 } as const
export const PASSWORD = 'correct horse battery'

export type TestBackend = 'sqlite' | 'postgres'

/** The backend every harness of this test process runs on (GC_TEST_BACKEND, default sqlite). */
export const BACKEND: TestBackend = (() => {
  const given = process.env.GC_TEST_BACKEND ?? 'sqlite'
  if (given !== 'sqlite' && given !== 'postgres') throw new Error(`GC_TEST_BACKEND must be sqlite or postgres, not ${JSON.stringify(given)}`)
  return given
})()
/** For `test.skipIf(onPostgres)` on the tests that check SQLite itself (its file, WAL, PRAGMAs, fsyncs). */
export const onSqlite = BACKEND === 'sqlite'
export const onPostgres = BACKEND === 'postgres'

export function tempDir(prefix = 'gc-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** A clock the test moves by hand, in microseconds. */
export function fixedClock(startIso = '2026-03-07T12:00:00Z') {
  let now = Date.parse(startIso) * 1000
  const clock = () => now
  return Object.assign(clock, {
    advance(seconds: number) {
      now += Math.round(seconds * 1_000_000)
    },
  })
}

export type Reply = { status: number; headers: Headers; body: any; text: string }
type RequestOptions = { body?: unknown; raw?: string; headers?: Record<string, string> }

/** SQLite's store options (durability, fsync hooks…): they mean nothing to PostgreSQL, whose harness ignores them. */
export type HarnessStoreOptions = Parameters<typeof createSqliteStore>[1]

export type Harness = {
  app: App
  store: Store
  backend: TestBackend
  /** A temporary folder of the harness's own, on both backends (where a server keeps files beside its database). */
  dataDir: string
  /** The SQLite file. On PostgreSQL there is none: reading it throws (the test is SQLite-only: skipIf(onPostgres)). */
  readonly dbPath: string
  /** The PostgreSQL database's URL (created on first use). On SQLite it rejects: there is the file. */
  databaseUrl(): Promise<string>
  request(method: string, path: string, options?: RequestOptions): Promise<Reply>
  /**
   * Stops the app and closes the store, and opens new ones on the same database, as a server restart
   * does. The new app and store are in place when this returns; the promise settles once the old store
   * has closed (at once on SQLite).
   */
  restart(store?: HarnessStoreOptions): Promise<void>
  /** Stops the app, closes the store and removes the database (file, or PostgreSQL database): await it. */
  close(): Promise<void>
}

export function createHarness(
  options: {
    clock?: () => number
    rateLimits?: RateLimitConfig | null
    store?: HarnessStoreOptions
    retention?: RetentionOptions
    quotas?: QuotaConfig
    metrics?: Metrics
    agentLost?: AgentLostOptions
    onAgentLost?: OnAgentLost
  } = {},
): Harness {
  const dir = tempDir()
  const sqlitePath = join(dir.path, 'test.db')
  // PostgreSQL: one database for the harness's life, made on first use (the store connects lazily) and
  // kept across restarts; its URL is what a restarted store opens.
  const database = onPostgres ? freshPgDatabase() : null
  database?.catch(() => {}) // a cluster that cannot start rejects every store call instead
  // `after`: a restarted PostgreSQL store connects once the old one has closed (and handed back its replays).
  const openStore = (storeOptions: HarnessStoreOptions, after: Promise<unknown>): Store =>
    database
      ? createPostgresStore(() => after.catch(() => {}).then(() => database.then((db) => db.url)), { poolSize: 4 })
      : createSqliteStore(sqlitePath, storeOptions)
  const open = (storeOptions = options.store, after: Promise<unknown> = Promise.resolve()) => {
    const store = openStore(storeOptions, after)
    const app = createApp({
      store,
      clock: options.clock,
      log: process.env.GC_TEST_LOG ? stderrLogger : silentLogger,
      password: TEST_PASSWORD_OPTIONS,
      rateLimits: options.rateLimits,
      retention: options.retention,
      quotas: options.quotas,
      metrics: options.metrics ? { registry: options.metrics, token: 'a-metrics-token-for-tests' } : null,
      agentLost: options.agentLost,
      onAgentLost: options.onAgentLost,
    })
    return { store, app }
  }
  // Synchronous up to the store's close, as before: SQLite's store is closed when stop() returns. On
  // PostgreSQL the services' stops are awaited before the pool closes, so none is cut off mid-query.
  const stop = async (): Promise<void> => {
    const { app, store } = harness
    app.services.replay.stop()
    app.services.sessions.stop()
    const stopping = [app.services.retention.stop(), app.services.webhooks.stop(), app.services.agentLost.stop()]
    app.services.streams.stop()
    stopping.push(app.services.reports.stop())
    if (database) await Promise.allSettled(stopping)
    await store.close()
  }
  const harness: Harness = {
    ...open(),
    backend: BACKEND,
    dataDir: dir.path,
    get dbPath(): string {
      if (database) throw new Error('h.dbPath: there is no SQLite file on PostgreSQL (mark the test skipIf(onPostgres))')
      return sqlitePath
    },
    databaseUrl: () => (database ? database.then((db) => db.url) : Promise.reject(new Error('h.databaseUrl(): SQLite has a file, h.dbPath'))),
    request: (method, path, opts = {}) => send(harness.app, method, path, opts),
    restart(storeOptions) {
      const stopped = stop()
      Object.assign(harness, open(storeOptions, stopped))
      return stopped
    },
    close() {
      const stopped = stop()
      if (!database) {
        // SQLite's store closed synchronously above: the folder goes now, as before close() returned a promise.
        dir.remove()
        return stopped
      }
      return (async () => {
        try {
          await stopped
        } finally {
          dir.remove()
          const db = await database.catch(() => null)
          await db?.drop()
        }
      })()
    },
  }
  return harness
}

/**
 * Reads (or sets up) the harness's database by hand, on either backend, for what no API shows (rows a sweep
 * deleted, what is stored rather than served, a row as an older version left it). `text` is SQL both
 * dialects read the same (tables and columns both schemas share, `?` placeholders, made $1… for
 * PostgreSQL). PostgreSQL answers bigint columns and counts as strings: compare through Number() or use
 * countOf.
 */
export async function queryDb<T = Record<string, unknown>>(h: Harness, text: string, params: Array<string | number | null> = []): Promise<T[]> {
  if (h.backend === 'sqlite') {
    const db = new Database(h.dbPath)
    try {
      db.run('PRAGMA busy_timeout = 5000')
      return db.query(text).all(...params) as T[]
    } finally {
      db.close()
    }
  }
  let n = 0
  const sql = new SQL(await h.databaseUrl(), { max: 1 })
  try {
    return [...(await sql.unsafe(text.replace(/\?/g, () => `$${++n}`), params))] as T[]
  } finally {
    await sql.close()
  }
}

/** The first column of the first row of a query (a count), as a number, on either backend. */
export async function countOf(h: Harness, text: string, params: Array<string | number | null> = []): Promise<number> {
  const [row] = await queryDb(h, text, params)
  return Number(Object.values(row!)[0])
}

/**
 * Everything the database holds, as text, to check that a secret is stored nowhere: on SQLite every byte
 * of the file and its WAL; on PostgreSQL (whose files are the server's) every row of every table.
 */
export async function everythingStored(h: Harness): Promise<string> {
  if (h.backend === 'sqlite') {
    const read = async (path: string) => ((await Bun.file(path).exists()) ? new TextDecoder().decode(await Bun.file(path).arrayBuffer()) : '')
    return (await read(h.dbPath)) + (await read(`${h.dbPath}-wal`))
  }
  const tables = await queryDb<{ name: string }>(h, "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
  if (!tables.some((table) => table.name === 'users')) throw new Error('everythingStored: no users table in the PostgreSQL database')
  const rows = await Promise.all(tables.map(({ name }) => queryDb(h, `SELECT * FROM "${name}"`)))
  return JSON.stringify(rows)
}

export type FixedClock = ReturnType<typeof fixedClock>

/**
 * A fresh harness on a fixed clock for every test of the file: `use` receives both before each test, and
 * the harness is closed after it.
 */
export function harnessPerTest(use: (h: Harness, clock: FixedClock) => void, startIso?: string) {
  let current: Harness
  beforeEach(() => {
    const clock = fixedClock(startIso)
    current = createHarness({ clock })
    use(current, clock)
  })
  afterEach(() => current.close())
}

/** harnessPerTest, with each request's socket peer stood in for by its `x-test-peer` header (default 192.0.2.1). */
export function harnessPerTestWithPeers(use: (h: Harness, clock: FixedClock) => void, startIso?: string) {
  harnessPerTest((h, clock) => {
    h.app.locatePeersWith((request) => request.headers.get('x-test-peer') ?? '192.0.2.1')
    use(h, clock)
  }, startIso)
}

export async function send(app: App, method: string, path: string, { body, raw, headers = {} }: RequestOptions = {}): Promise<Reply> {
  const sent = raw ?? (body !== undefined ? JSON.stringify(body) : undefined)
  // As a real client does: a body comes with its Content-Length (chunked bodies are tested over a socket).
  const request = new Request(`http://localhost${path}`, {
    method,
    body: sent,
    headers: sent !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(sent)), ...headers } : headers,
  })
  const response = await app.handle(request)
  const text = await response.text()
  checkAnswer(app, method, request.url, response, text)
  let parsed: unknown = null
  if (text && response.headers.get('content-type')?.startsWith('application/json')) parsed = JSON.parse(text)
  return { status: response.status, headers: response.headers, body: parsed, text }
}

export const PLAN_DATA = {
  preset: 'onboard-ml-inference',
  events: [
    { type: 'job.accepted', timestamp_s: 0, message: 'accepted', preset: 'onboard-ml-inference' },
    { type: 'step.started', timestamp_s: 10, step_id: 'capture', message: 'capture' },
    { type: 'job.completed', timestamp_s: 60, message: 'done', delivery_confidence: 0.98 },
  ],
}

export type Tenant = {
  email: string
  cookie: string
  key: string
  keyId: string
  missionId: string
  planId: string
  /** Auth headers for the key alone, and for the key plus an agent id. */
  asKey: Record<string, string>
  asAgent: Record<string, string>
  createDeployment(mode?: 'live' | 'simulated', extra?: Record<string, unknown>): Promise<string>
}

let tenantCounter = 0

/** Creates a user through the auth service, then logs in and builds a key, mission and plan via the API. */
export async function createTenant(h: Harness, role: 'admin' | 'operator' = 'operator', agentId = 'sat-25544'): Promise<Tenant> {
  const email = `user${++tenantCounter}@example.test`
  await h.app.services.auth.createUser({ email, password: PASSWORD, role })
  const login = await h.request('POST', '/api/auth/login', { body: { email, password: PASSWORD } })
  if (login.status !== 200) throw new Error(`login failed: ${login.text}`)
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!
  const created = await h.request('POST', '/api/keys', { body: { name: 'test' }, headers: { cookie } })
  const asKey = { 'x-api-key': created.body.key as string }
  const asAgent = { ...asKey, 'x-agent-id': agentId }
  const mission = await h.request('POST', '/api/missions', { body: { name: 'ISS ML Pipeline' }, headers: asKey })
  const plan = await h.request('POST', '/api/plans', {
    body: { mission_id: mission.body.id, label: 'On-Board ML Inference', satellite_id: '25544', plan_data: PLAN_DATA },
    headers: asKey,
  })
  return {
    email,
    cookie,
    key: created.body.key,
    keyId: created.body.id,
    missionId: mission.body.id,
    planId: plan.body.id,
    asKey,
    asAgent,
    async createDeployment(mode = 'live', extra = {}) {
      const reply = await h.request('POST', '/api/deployments', { body: { plan_id: plan.body.id, mode, ...extra }, headers: asKey })
      if (reply.status !== 201) throw new Error(`create deployment failed: ${reply.text}`)
      return reply.body.id
    },
  }
}

export const event = (type: string, timestamp = '2026-03-07T12:00:00Z', extra: Record<string, unknown> = {}) => ({
  type,
  timestamp,
  job_id: 'job-1',
  payload: {},
  ...extra,
})

/**
 * An error the harness's store calls unavailable (Store.isUnavailable: a 503), for a stand-in store method
 * to throw: SQLite's "database is locked" (SQLITE_BUSY), or PostgreSQL's lost connection.
 */
export function storageBusy(): Error {
  if (onSqlite) return Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
  return Object.assign(new Error('Connection closed'), { code: 'ERR_POSTGRES_CONNECTION_CLOSED' })
}

/**
 * The store with some methods replaced (to observe or break them), on either backend. Not `{ ...store }`:
 * PostgreSQL's store is a Proxy that makes its methods on demand, and a spread copies none of them.
 */
export function overriding(store: Store, overrides: Partial<Store>): Store {
  return new Proxy(store, { get: (target, name) => (Object.hasOwn(overrides, name) ? overrides[name as keyof Store] : Reflect.get(target, name)) })
}

/** The reports service over a bare store, for tests that write event groups without an app. */
export function reportsOf(store: Store) {
  return createReports({ store, bus: createBus(), log: silentLogger })
}
