// Process entry: argv/env -> config -> open the database -> run the command. The only module that reads
// process.env and argv, prints to stdout, or exits.
import { maxHeaderSize } from 'node:http'
import pkg from '../package.json'
import examplePlan from './examples/onboard-ml-inference.json'
import { createApp } from './app'
import { createAuthService, normaliseEmail } from './auth/service'
import { ensureAdmin } from './bootstrap'
import { loadConfig, USAGE, type Config } from './config'
import { SOCKET_HEAD_MINIMUM } from './http/request-guard'
import { systemClock } from './domain/time'
import { errorDetail, stderrLogger as log } from './log'
import { serve } from './server'
import { createSqliteStore } from './store/sqlite'
import { backupFile, claimPidFile, removeStaleSnapshots, restoreDatabase } from './store/sqlite/backup'

/** The first start after an upgrade may number many stored events before anything else: it says how far it got. */
const startOptions = { onProgress: (message: string, fields: Record<string, unknown>) => log.info(message, fields) }

async function run(config: Config): Promise<number> {
  switch (config.command) {
    case 'help':
      console.log(USAGE)
      return 0
    case 'version':
      console.log(pkg.version)
      return 0
    case 'example-plan':
      console.log(JSON.stringify(examplePlan, null, 2))
      return 0
    case 'user create': {
      const store = createSqliteStore(config.db, startOptions)
      const user = await createAuthService({ store, clock: systemClock }).createUser(config)
      console.log(`created ${user.role} ${user.email} (${user.id})`)
      store.close()
      return 0
    }
    case 'key create': {
      const store = createSqliteStore(config.db, startOptions)
      const user = await store.getUserByEmail(normaliseEmail(config.email))
      if (!user) {
        console.error(`no user with email ${config.email}`)
        return 1
      }
      const { key } = await createAuthService({ store, clock: systemClock }).createKey(user.id, config.name, config.test ? 'test' : 'live')
      console.log(key)
      store.close()
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
  const store = createSqliteStore(config.db, {
    ...startOptions,
    durability: config.durability,
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
  })
  // Snapshots left by a server that stopped while it made or sent a backup (POST /api/admin/backup).
  removeStaleSnapshots(config.db)
  // `ground-console restore` refuses to replace a database a server has open: this file says one does.
  const releasePidFile = claimPidFile(config.db)
  const app = createApp({
    store,
    secureCookies: config.secureCookies,
    rateLimits: config.rateLimits,
    trustProxy: config.trustProxy,
    console: config.console,
    retention: { retentionDays: config.retentionDays, telemetryRetentionMicros: config.telemetryRetentionMicros },
  })
  const admin = await ensureAdmin(store, app.services.auth, config.admin, { terminal: Boolean(process.stdout.isTTY), dbPath: config.db })
  if (admin?.passwordFile)
    log.info('first start: created the admin user; its password is in this file (readable by this user only)', { email: admin.email, file: admin.passwordFile })
  else if (admin?.generatedPassword)
    console.log(`First start: created the admin user ${admin.email} with password ${admin.generatedPassword}\n(shown only this once)`)
  else if (admin) console.log(`First start: created the admin user ${admin.email} from ADMIN_EMAIL/ADMIN_PASSWORD`)
  const server = serve(app, { hostname: config.host, port: config.port })
  app.services.sessions.start()
  app.services.retention.start()
  await app.services.replay.resume()
  // Past Bun's own header limit (16 KiB unless raised) Bun answers a bare 431 before our JSON one (docs/http.md). Said before
  // `listening`, which is what scripts and tests wait for.
  if (maxHeaderSize < SOCKET_HEAD_MINIMUM)
    log.warn('Bun was started without --max-http-header-size=327680: requests with large headers get a bare 431', { maxHttpHeaderSize: maxHeaderSize })
  log.info('listening', {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port}`,
    db: config.db,
    durability: config.durability,
    rateLimits: config.rateLimits ? 'on' : 'off',
    retentionDays: config.retentionDays ?? 'off',
    telemetryRetentionHours: config.telemetryRetentionMicros === null ? 'off' : config.telemetryRetentionMicros / 3600e6,
    trustProxy: config.trustProxy.map((range) => range.text),
    replays: app.services.replay.activeCount,
    version: pkg.version,
  })
  // A signal, or a failed flush (which may come even while replays resume at start).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop)
  await stopped
  log.info('shutting down')
  app.services.replay.stop()
  app.services.sessions.stop()
  // A prune in progress ends after its current batch, before the store closes.
  await app.services.retention.stop()
  // Streams end now (their clients resume with Last-Event-ID), so that only requests in flight are waited for.
  app.services.streams.stop()
  // A stream whose client stopped reading may hold its socket until its cut-off: not past a few seconds.
  const forced = setTimeout(() => void server.stop(true), SHUTDOWN_GRACE_MS)
  await server.stop()
  clearTimeout(forced)
  // After the requests in flight: the event counts they moved get their change numbers too.
  await app.services.reports.stop()
  store.close()
  releasePidFile()
  return Number(process.exitCode ?? 0)
}

/** How long a shutdown waits for requests in flight before it closes their connections. */
const SHUTDOWN_GRACE_MS = 5000

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
run(loaded.config).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`ground-console: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  },
)
