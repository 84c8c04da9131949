// Process entry: argv/env -> config -> open the database -> run the command. The only module that reads
// process.env and argv, prints to stdout, or exits.
import { randomBytes } from 'node:crypto'
import { maxHeaderSize } from 'node:http'
import pkg from '../package.json'
import examplePlan from './examples/onboard-ml-inference.json'
import { createApp } from './app'
import { createAuthService, NO_ACTOR, normaliseEmail } from './auth/service'
import { ensureAdmin } from './bootstrap'
import { loadConfig, USAGE, type Config } from './config'
import { SOCKET_HEAD_MINIMUM } from './http/request-guard'
import { systemClock } from './domain/time'
import { createStderrLogger, errorDetail, type Logger } from './log'
import { serve } from './server'
import { SCHEMA_MIGRATIONS, SCHEMA_VERSION } from './store/sqlite/db/migrations'
import { PG_SCHEMA_MIGRATIONS, PG_SCHEMA_VERSION } from './store/postgres/db/migrations'
import { loadTls } from './tls'
import { openStore } from './store/open'
import { backupFile, claimPidFile, removeStaleSnapshots, restoreDatabase } from './store/sqlite/backup'
import { isPostgresUrl, redactUrl } from './domain/database-url'
import type { Store } from './store/types'

/** Set from --log-level once the configuration is read; info until then. */
let log: Logger = createStderrLogger('info')
/**
 * The server's own start and stop lines (`listening`, which scripts wait for, `shutting down`, the first
 * admin's password file) are written whatever --log-level says, like PostgreSQL's "ready to accept connections".
 */
const lifecycle = createStderrLogger('info')

/** The first start after an upgrade may number many stored events before anything else: it says how far it got. */
const startOptions = { onProgress: (message: string, fields: Record<string, unknown>) => log.info(message, fields) }

/** The store of a command-line command: opened, and (PostgreSQL) connected, or the error that kept it from being. */
async function openCliStore(db: string): Promise<Store> {
  const store = openStore(db, { sqlite: startOptions, postgres: { poolSize: 2 } })
  await store.ping()
  return store
}

async function run(config: Config): Promise<number> {
  switch (config.command) {
    case 'help':
      console.log(USAGE)
      return 0
    case 'version':
      // The first line alone is the version, for scripts; the second, the database schema this build knows.
      console.log(`${pkg.version}\nschema ${SCHEMA_VERSION} (${SCHEMA_MIGRATIONS} migrations)\npostgres schema ${PG_SCHEMA_VERSION} (${PG_SCHEMA_MIGRATIONS} migrations)`)
      return 0
    case 'example-plan':
      console.log(JSON.stringify(examplePlan, null, 2))
      return 0
    case 'user create': {
      const store = await openCliStore(config.db)
      const user = await createAuthService({ store, clock: systemClock }).createUser(config, NO_ACTOR, 'cli')
      console.log(`created ${user.role} ${user.email} (${user.id})`)
      await store.close()
      return 0
    }
    case 'user reset-password': {
      // Like key create: the new secret alone on stdout, for a script to pass on (docs/auth.md "Resetting a password").
      const store = await openCliStore(config.db)
      const user = await store.getUserByEmail(normaliseEmail(config.email))
      if (!user) {
        console.error(`no user with email ${config.email}`)
        await store.close()
        return 1
      }
      const password = randomBytes(15).toString('base64url')
      await createAuthService({ store, clock: systemClock }).resetPassword(user.id, password, NO_ACTOR)
      console.log(password)
      await store.close()
      return 0
    }
    case 'key create': {
      const store = await openCliStore(config.db)
      const user = await store.getUserByEmail(normaliseEmail(config.email))
      if (!user) {
        console.error(`no user with email ${config.email}`)
        await store.close()
        return 1
      }
      // Recorded as done from the command line (docs/api.md §1 "Audit"): no actor, no address.
      const { key } = await createAuthService({ store, clock: systemClock }).createKey(user.id, config.name, config.test ? 'test' : 'live', config.scope, NO_ACTOR)
      console.log(key)
      await store.close()
      return 0
    }
    case 'backup': {
      const started = performance.now()
      const result = await backupFile(config.db, config.out)
      if (!result.ok) {
        console.error(`ground-console backup: ${result.reason}`)
        return 1
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      console.log(`backed up ${config.db} to ${config.out}: ${result.bytes} bytes, schema version ${result.schemaVersion}, in ${seconds} s`)
      return 0
    }
    case 'restore': {
      const result = restoreDatabase(config.from, config.db, config.force)
      if (!result.ok) {
        console.error(`ground-console restore: ${config.from} was not restored: ${result.reason}`)
        return 1
      }
      console.log(`restored ${config.from} as ${config.db} (schema version ${result.schemaVersion}); start the server on it`)
      return 0
    }
    case 'serve':
      return serveForever(config)
  }
}

async function serveForever(config: Extract<Config, { command: 'serve' }>): Promise<number> {
  let stop!: () => void
  const stopped = new Promise<void>((resolve) => (stop = resolve))
  // Before the database is opened: a certificate that cannot be used is said at once (exit 1).
  const tls = config.tls ? loadTls(config.tls) : null
  // prom-client is loaded only when /metrics is served: about 17 MB of a process that would not use it.
  const metrics = config.metricsToken ? (await import('./metrics')).createMetrics() : null
  const postgres = isPostgresUrl(config.db)
  const store = openStore(config.db, {
    sqlite: {
      ...startOptions,
      durability: config.durability,
      onFlush: metrics?.flushed,
      // The disk refused a flush: nothing more can be acknowledged safely. Stop (exit code 75, "try again")
      // so that a supervisor restarts the server on what is really on disk; agents retry what went unanswered.
      onFlushFailure(error) {
        log.error('the disk failed to flush the database log; stopping so that nothing unflushed is acknowledged', { error: String(error) })
        process.exitCode = 75
        stop()
      },
      onCheckpointError(message) {
        log.warn('a WAL checkpoint failed; the log grows until one succeeds', { error: message })
      },
    },
  })
  // PostgreSQL connects and migrates in the background: a database that cannot be reached at start is
  // said at once (exit 1) rather than served as 503s to agents that would not know why.
  await store.ping()
  // Snapshots left by a server that stopped while it made or sent a backup (POST /api/admin/backup).
  if (!postgres) removeStaleSnapshots(config.db)
  // `ground-console restore` refuses to replace a database a server has open: this file says one does.
  const releasePidFile = postgres ? () => {} : claimPidFile(config.db)
  const app = createApp({
    store,
    secureCookies: config.secureCookies,
    rateLimits: config.rateLimits,
    trustProxy: config.trustProxy,
    console: config.console,
    log,
    metrics: metrics && { registry: metrics, token: config.metricsToken! },
    retention: { retentionDays: config.retentionDays, telemetryRetentionMicros: config.telemetryRetentionMicros },
    quotas: config.quotas,
    agentLost: { afterMicros: config.agentLostAfterMicros, policy: config.agentLostPolicy },
  })
  // On PostgreSQL there is no database file to write the password beside: it goes to the working directory.
  const admin = await ensureAdmin(store, app.services.auth, config.admin, { terminal: Boolean(process.stdout.isTTY), dbPath: postgres ? './ground-console' : config.db })
  if (admin?.passwordFile)
    lifecycle.info('first start: created the admin user; its password is in this file (readable by this user only)', { email: admin.email, file: admin.passwordFile })
  else if (admin?.generatedPassword)
    console.log(`First start: created the admin user ${admin.email} with password ${admin.generatedPassword}\n(shown only this once)`)
  else if (admin) console.log(`First start: created the admin user ${admin.email} from ADMIN_EMAIL/ADMIN_PASSWORD`)
  const server = serve(app, { hostname: config.host, port: config.port, tls })
  app.services.sessions.start()
  app.services.retention.start()
  app.services.webhooks.start()
  app.services.agentLost.start()
  await app.services.replay.resume()
  // Past Bun's own header limit (16 KiB unless raised) Bun answers a bare 431 before our JSON one (docs/http.md). Said before
  // `listening`, which is what scripts and tests wait for.
  if (maxHeaderSize < SOCKET_HEAD_MINIMUM)
    log.warn('Bun was started without --max-http-header-size=327680: requests with large headers get a bare 431', { maxHttpHeaderSize: maxHeaderSize })
  lifecycle.info('listening', {
    url: `${server.protocol}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port}`,
    db: redactUrl(config.db),
    durability: postgres ? 'committed' : config.durability,
    rateLimits: config.rateLimits ? 'on' : 'off',
    retentionDays: config.retentionDays ?? 'off',
    telemetryRetentionHours: config.telemetryRetentionMicros === null ? 'off' : config.telemetryRetentionMicros / 3600e6,
    quotaEventsPerUser: config.quotas.events ? `${config.quotas.events.count}/${config.quotas.events.periodMicros / 3600e6}h` : 'off',
    quotaStoragePerUser: config.quotas.storageBytes ?? 'off',
    agentLostAfterMinutes: config.agentLostAfterMicros === null ? 'off' : config.agentLostAfterMicros / 60e6,
    agentLostPolicy: config.agentLostPolicy,
    trustProxy: config.trustProxy.map((range) => range.text),
    replays: app.services.replay.activeCount,
    metrics: metrics ? 'on' : 'off',
    logLevel: config.logLevel,
    version: pkg.version,
    schema: store.schema.version,
    ...(tls ? { tlsCertificate: { fingerprint256: tls.fingerprint256, serialNumber: tls.serialNumber, validTo: tls.validTo } } : {}),
  })
  // SIGHUP: a renewed certificate (TLS), read again and served to new connections; open ones keep theirs.
  process.on('SIGHUP', () => {
    if (!config.tls) return log.info('SIGHUP: nothing to reload (no --tls-cert)')
    let pem
    try {
      pem = loadTls(config.tls)
    } catch (error) {
      return log.error('SIGHUP: the new certificate cannot be used; still serving the old one', { error: (error as Error).message })
    }
    try {
      server.reload(pem)
    } catch (error) {
      return log.error('SIGHUP: could not listen with the new certificate; still serving the old one', { error: errorDetail(error) })
    }
    log.info('SIGHUP: serving the new certificate to new connections', { fingerprint256: pem.fingerprint256, serialNumber: pem.serialNumber, validTo: pem.validTo })
  })
  // A signal, or a failed flush (which may come even while replays resume at start). A second signal
  // while shutting down changes nothing: the deadline below bounds the wait.
  let signalled = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      if (signalled) return log.warn('already shutting down', { signal })
      signalled = true
      stop()
    })
  await stopped
  lifecycle.info('shutting down')
  // A hard bound, whatever hangs (a disk that does not answer): a supervisor waits longer than this
  // (docs/systemd: TimeoutStopSec=30) and gets a clear failure instead of having to kill.
  const deadline = setTimeout(() => {
    log.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting with code 1`, {
      streams: app.services.streams.openCount,
      listeners: server.listeners,
    })
    process.exit(1)
  }, SHUTDOWN_DEADLINE_MS)
  app.services.replay.stop()
  app.services.sessions.stop()
  // A prune in progress ends after its current batch, before the store closes.
  await app.services.retention.stop()
  // Sends in flight are abandoned: their deliveries are leased and sent again after a restart.
  await app.services.webhooks.stop()
  await app.services.agentLost.stop()
  // Streams end now (their clients resume with Last-Event-ID), so that only requests in flight are waited for.
  app.services.streams.stop()
  await app.services.nodeNews.stop()
  // A stream whose client stopped reading may hold its socket until its cut-off: not past a few seconds.
  const forced = setTimeout(() => void server.stop(true), SHUTDOWN_GRACE_MS)
  await server.stop()
  clearTimeout(forced)
  // After the requests in flight: the event counts they moved get their change numbers too.
  await app.services.reports.stop()
  // SQLite: checkpoints the WAL into the database file and truncates it (src/store/sqlite/index.ts);
  // PostgreSQL: closes the pool.
  await store.close()
  releasePidFile()
  clearTimeout(deadline)
  log.info('stopped', { exitCode: Number(process.exitCode ?? 0) })
  return Number(process.exitCode ?? 0)
}

/** How long a shutdown waits for requests in flight before it closes their connections. */
const SHUTDOWN_GRACE_MS = 5000
/** The whole shutdown, at most: past it the process exits 1 (docs/operations.md "Shutdown"). */
const SHUTDOWN_DEADLINE_MS = 10_000

// A last guard, never the plan: background work catches its own failures (src/services/replay.ts), but a
// promise rejected where nobody waits must not stop a server that agents depend on. Logged with its stack.
process.on('unhandledRejection', (reason) => {
  log.error('unhandled rejection (a bug: please report it)', { error: errorDetail(reason) })
})

const loaded = loadConfig({ argv: process.argv.slice(2), env: process.env })
if (!loaded.ok) {
  for (const error of loaded.errors) console.error(`ground-console: ${error}`)
  console.error(`\n${USAGE}`)
  process.exit(2)
}
if (loaded.config.command === 'serve') log = createStderrLogger(loaded.config.logLevel)
run(loaded.config).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`ground-console: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  },
)
