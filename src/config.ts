// Turns argv and the environment into a command and its settings. Pure: main.ts passes both in, and
// every problem found is reported at once.
import { parseArgs } from 'node:util'
import { isPostgresUrl, redactUrl } from './domain/database-url'
import type { Durability } from './store/sqlite/db/open'
import { KEY_SCOPES, type KeyScope, type Role } from './domain/accounts'
import { parseEventQuota, parseSize, type QuotaConfig } from './domain/quota'
import { parseCidr, type Cidr } from './domain/ip'
import { LOG_LEVELS, type LogLevel } from './log'
import { AGENT_LOST_POLICIES, type AgentLostPolicy } from './services/agent-lost'
import { parseRateRule, RATE_LIMIT_KINDS, UPSTREAM_RATE_LIMITS, type RateLimitConfig } from './services/rate-limits'

export const DEFAULTS = { host: '127.0.0.1', port: 8080, db: './data/ground-console.db' }

export type ServeConfig = {
  command: 'serve'
  host: string
  port: number
  db: string
  durability: Durability
  secureCookies: boolean
  /** null: rate limits off (the default). */
  rateLimits: RateLimitConfig | null
  /** Proxies whose X-Forwarded-For is believed (docs/auth.md "Client address and --trust-proxy"). */
  trustProxy: Cidr[]
  /** Serve the web console beside the API (`--no-console`: the API alone). */
  console: boolean
  /** Serve HTTPS with this certificate and key (PEM files; re-read on SIGHUP: docs/operations.md), or plain HTTP when null. */
  tls: { cert: string; key: string } | null
  admin: { email?: string; password?: string }
  /** GET /metrics takes this bearer token; null: no /metrics route (docs/operations.md "Metrics"). */
  metricsToken: string | null
  /** Records below this level are not written; request lines are info (docs/operations.md "Logs"). */
  logLevel: LogLevel
  /** Events of terminal deployments completed more than this many days ago are deleted; null: off (the default). */
  retentionDays: number | null
  /** Telemetry samples older than this many microseconds are deleted; null: `off`. Default 30 days. */
  telemetryRetentionMicros: number | null
  /** Per-user quotas on reports (docs/operations.md "Quotas"); both off by default. */
  quotas: QuotaConfig
  /** An agent not seen for this many microseconds is lost (docs/operations.md "Lost agents"); null: off (the default). */
  agentLostAfterMicros: number | null
  /** What a lost agent's dispatched and running deployments become: left as they are (`flag`) or failed. */
  agentLostPolicy: AgentLostPolicy
}
export type UserCreateConfig = { command: 'user create'; db: string; email: string; password: string; role: Role; name?: string }
export type KeyCreateConfig = { command: 'key create'; db: string; email: string; name: string; test: boolean; scope: KeyScope }
export type PasswordResetConfig = { command: 'user reset-password'; db: string; email: string }
export type BackupConfig = { command: 'backup'; db: string; out: string }
export type RestoreConfig = { command: 'restore'; db: string; from: string; force: boolean }
export type Config = ServeConfig | UserCreateConfig | PasswordResetConfig | KeyCreateConfig | BackupConfig | RestoreConfig | { command: 'example-plan' } | { command: 'help' } | { command: 'version' }

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: string[] }

export const USAGE = `Usage:
  ground-console [serve] [--host H] [--port P] [--db PATH|URL] [--durability full|normal] [--secure-cookies]
                 [--trust-proxy CIDR,...] [--no-console] [--tls-cert FILE --tls-key FILE]
                 [--metrics-token T] [--log-level L] [--retention-days N] [--telemetry-retention D]
                 [--quota-events-per-user N[/PERIOD]] [--quota-storage-per-user SIZE]
                 [--agent-lost-after D] [--agent-lost-policy flag|fail]
  ground-console backup --out FILE [--db PATH]
  ground-console restore --from FILE [--db PATH] [--force]
  ground-console user create --email E --password P [--role admin|operator] [--name N] [--db PATH|URL]
  ground-console user reset-password --email E [--db PATH|URL]
  ground-console key create --email E [--name N] [--test] [--scope full|agent|read] [--db PATH|URL]
  ground-console example-plan
  ground-console --help | --version      (--version: the version and the database schema it knows)

serve (the default) runs the server. Flags override the environment:
  --host            HOST            listen address              (default ${DEFAULTS.host})
  --port            PORT            listen port                 (default ${DEFAULTS.port})
  --db              DATABASE_PATH   SQLite database file        (default ${DEFAULTS.db}),
                    DATABASE_URL    or a postgres://user:pass@host/db URL: PostgreSQL, several nodes on
                                    one database (docs/postgres.md)
  --durability      DURABILITY      full: every acknowledged write survives a power cut (default)
                                    normal: faster; the last writes may be lost on power loss
  --secure-cookies  SECURE_COOKIES  mark the session cookie Secure (behind an HTTPS proxy)
  --tls-cert        TLS_CERT        serve HTTPS with this PEM certificate (chain) file; with --tls-key.
  --tls-key         TLS_KEY         its PEM private key. Cookies are then Secure; SIGHUP re-reads both
  --trust-proxy     TRUST_PROXY     comma list of proxy addresses or CIDR ranges whose X-Forwarded-For
                                    names the client (default none: the socket peer is the client)
  --no-console      CONSOLE=off     serve the API alone, without the web console
  --metrics-token   METRICS_TOKEN   serve GET /metrics (Prometheus text) to Authorization: Bearer <this>;
                                    16 to 256 visible ASCII characters (default unset: no /metrics)
  --log-level       LOG_LEVEL       debug|info|warn|error; one JSON line per request at info (default info)
  --rate-limits     RATE_LIMITS     on|off: the agent protocol's upstream rate limits (default off;
                                    a 429 makes the stock agent drop that event for good)
  --rate-limit-poll      RATE_LIMIT_POLL       per agent       (default 1/10s)
  --rate-limit-telemetry RATE_LIMIT_TELEMETRY  per agent       (default 1/30s)
  --rate-limit-events    RATE_LIMIT_EVENTS     per deployment  (default 100/1m)
  --rate-limit-batches   RATE_LIMIT_BATCHES    per deployment  (default 10/1m)
  --retention-days  RETENTION_DAYS  delete the events of completed, failed and cancelled deployments
                                    that ended more than N days ago, and audit records older than N
                                    days (default off: kept forever)
  --telemetry-retention TELEMETRY_RETENTION  delete agents' telemetry samples older than this
                                    (30d, 12h, 90m; default 30d; off: keep each agent's newest 1000)
  --quota-events-per-user QUOTA_EVENTS_PER_USER  at most N new events per user a day, or per PERIOD
                                    (100000, 5000/1h, 1000000/7d); over it a report is 429 (default off)
  --quota-storage-per-user QUOTA_STORAGE_PER_USER  at most SIZE of stored events per user (500M,
                                    10G; at least 1M); over it a report is 403 (default off)
  --agent-lost-after AGENT_LOST_AFTER  an agent not seen for this long (10m, 2h, 1d; at least 1m) is
                                    flagged lost until it is seen again (default off)
  --agent-lost-policy AGENT_LOST_POLICY  flag: only flag it (default); fail: also fail its dispatched
                                    and running deployments (a stored job.failed, reason agent_lost)
  First start on an empty database creates an admin from ADMIN_EMAIL and ADMIN_PASSWORD, or
  admin@localhost with a random password, printed once when stdout is a terminal, otherwise
  written to initial-admin-password (mode 0600) beside the database file.

user create   adds a user to the database file directly (works while the server runs).
user reset-password  gives the user with that email a new random password, printed on stdout and
              nothing else, and ends every session of that user (works while the server runs).
key create    prints a new API key for the user with that email, and nothing else; --scope agent
              for a key that lives on a satellite (agent protocol and reports only), read for reads.
backup        writes a consistent snapshot of the database to a new file (works while the server runs).
restore       installs a backup as the database file: checks it first; refuses to replace an existing
              file without --force, or one a server has open.
example-plan  prints a realistic plan_data (on-board ML inference, 28 events) for POST /api/plans.`

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  db: { type: 'string' },
  durability: { type: 'string' },
  'secure-cookies': { type: 'boolean' },
  'trust-proxy': { type: 'string' },
  'no-console': { type: 'boolean' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'metrics-token': { type: 'string' },
  'log-level': { type: 'string' },
  'rate-limits': { type: 'string' },
  'rate-limit-poll': { type: 'string' },
  'rate-limit-telemetry': { type: 'string' },
  'rate-limit-events': { type: 'string' },
  'rate-limit-batches': { type: 'string' },
  'retention-days': { type: 'string' },
  'telemetry-retention': { type: 'string' },
  'quota-events-per-user': { type: 'string' },
  'quota-storage-per-user': { type: 'string' },
  'agent-lost-after': { type: 'string' },
  'agent-lost-policy': { type: 'string' },
  out: { type: 'string' },
  from: { type: 'string' },
  force: { type: 'boolean' },
  email: { type: 'string' },
  password: { type: 'string' },
  role: { type: 'string' },
  name: { type: 'string' },
  test: { type: 'boolean' },
  scope: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const

export function loadConfig({ argv, env }: { argv: string[]; env: Record<string, string | undefined> }): LoadResult {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    return { ok: false, errors: [(error as Error).message] }
  }
  const { values, positionals } = parsed
  if (values.help) return { ok: true, config: { command: 'help' } }
  if (values.version) return { ok: true, config: { command: 'version' } }
  const errors: string[] = []
  // --db takes a file path or a postgres:// URL; DATABASE_URL (a URL, the usual name) comes before DATABASE_PATH.
  const db = values.db ?? (env.DATABASE_URL || undefined) ?? env.DATABASE_PATH ?? DEFAULTS.db
  if (values.db === undefined && env.DATABASE_URL && !isPostgresUrl(env.DATABASE_URL))
    return { ok: false, errors: [`DATABASE_URL must be a postgres:// or postgresql:// URL (for a SQLite file use DATABASE_PATH or --db PATH), not "${redactUrl(env.DATABASE_URL)}"`] }
  if (isPostgresUrl(db)) {
    try {
      new URL(db)
    } catch {
      return { ok: false, errors: ['--db: the PostgreSQL URL cannot be parsed (postgres://user:password@host:5432/database)'] }
    }
  }
  const command = positionals.join(' ') || 'serve'

  if (command === 'serve') {
    const portText = values.port ?? env.PORT ?? String(DEFAULTS.port)
    const port = /^\d+$/.test(portText) ? Number(portText) : Number.NaN
    if (!(port >= 0 && port <= 65535)) errors.push(`--port must be a number from 0 to 65535, not "${portText}"`)
    const durability = values.durability ?? env.DURABILITY ?? 'full'
    if (durability !== 'full' && durability !== 'normal') errors.push(`--durability must be "full" or "normal", not "${durability}"`)
    // On PostgreSQL an acknowledged write is a committed one (synchronous_commit on): there is no trade to make.
    else if (durability === 'normal' && isPostgresUrl(db)) errors.push('--durability normal is for the SQLite file; on PostgreSQL every acknowledged write is committed (synchronous_commit on)')
    const admin = { email: env.ADMIN_EMAIL || undefined, password: env.ADMIN_PASSWORD || undefined }
    if (Boolean(admin.email) !== Boolean(admin.password)) errors.push('set both ADMIN_EMAIL and ADMIN_PASSWORD, or neither')
    if (admin.password !== undefined && admin.password.length < 10) errors.push('ADMIN_PASSWORD must be at least 10 characters')
    const secureCookies = values['secure-cookies'] ?? ['1', 'true', 'yes', 'on'].includes((env.SECURE_COOKIES ?? '').toLowerCase())
    const rateLimits = loadRateLimits(values, env, errors)
    const trustProxy = loadTrustProxy(values['trust-proxy'] ?? env.TRUST_PROXY ?? '', errors)
    const consoleText = (env.CONSOLE ?? 'on').toLowerCase()
    if (consoleText !== 'on' && consoleText !== 'off') errors.push(`CONSOLE must be "on" or "off", not "${env.CONSOLE}"`)
    const serveConsole = !values['no-console'] && consoleText !== 'off'
    const metricsToken = values['metrics-token'] ?? env.METRICS_TOKEN ?? ''
    // A short token could be guessed; a character outside visible ASCII could not be sent in a header.
    if (metricsToken !== '' && !/^[\x21-\x7e]{16,256}$/.test(metricsToken)) errors.push('--metrics-token must be 16 to 256 visible ASCII characters (no spaces)')
    const logLevel = (values['log-level'] ?? env.LOG_LEVEL ?? 'info').toLowerCase()
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) errors.push(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${values['log-level'] ?? env.LOG_LEVEL}"`)
    const tlsCert = values['tls-cert'] ?? (env.TLS_CERT || undefined)
    const tlsKey = values['tls-key'] ?? (env.TLS_KEY || undefined)
    if (Boolean(tlsCert) !== Boolean(tlsKey)) errors.push('set both --tls-cert and --tls-key (TLS_CERT and TLS_KEY), or neither')
    const tls = tlsCert && tlsKey ? { cert: tlsCert, key: tlsKey } : null
    const retentionText = values['retention-days'] ?? env.RETENTION_DAYS ?? 'off'
    let retentionDays: number | null = null
    if (retentionText !== 'off') {
      if (/^\d{1,6}$/.test(retentionText) && Number(retentionText) >= 1) retentionDays = Number(retentionText)
      else errors.push(`--retention-days must be a whole number of days from 1 to 999999, or "off", not "${retentionText}"`)
    }
    const telemetryText = values['telemetry-retention'] ?? env.TELEMETRY_RETENTION ?? DEFAULT_TELEMETRY_RETENTION
    const telemetryRetentionMicros = telemetryText === 'off' ? null : parseDuration(telemetryText)
    if (telemetryRetentionMicros === undefined)
      errors.push(`--telemetry-retention must be a duration like 30d, 12h or 90m (at least 1m), or "off", not "${telemetryText}"`)
    const quotas = loadQuotas(values, env, errors)
    const lostText = values['agent-lost-after'] ?? env.AGENT_LOST_AFTER ?? 'off'
    const agentLostAfterMicros = lostText === 'off' ? null : parseDuration(lostText)
    if (agentLostAfterMicros === undefined) errors.push(`--agent-lost-after must be a duration like 10m, 2h or 1d (at least 1m), or "off", not "${lostText}"`)
    const agentLostPolicy = values['agent-lost-policy'] ?? env.AGENT_LOST_POLICY ?? 'flag'
    if (!(AGENT_LOST_POLICIES as readonly string[]).includes(agentLostPolicy)) errors.push(`--agent-lost-policy must be "flag" or "fail", not "${agentLostPolicy}"`)
    if (errors.length) return { ok: false, errors }
    const host = values.host ?? env.HOST ?? DEFAULTS.host
    // Served over HTTPS, the session cookie is Secure whatever --secure-cookies says.
    return {
      ok: true,
      config: {
        command, host, port, db, durability: durability as Durability, secureCookies: secureCookies || tls !== null, rateLimits, trustProxy, console: serveConsole, tls, admin,
        metricsToken: metricsToken || null, logLevel: logLevel as LogLevel,
        retentionDays, telemetryRetentionMicros: telemetryRetentionMicros ?? null, quotas,
        agentLostAfterMicros: agentLostAfterMicros ?? null, agentLostPolicy: agentLostPolicy as AgentLostPolicy,
      },
    }
  }

  if (command === 'user create') {
    if (!values.email) errors.push('user create needs --email')
    if (!values.password || values.password.length < 10) errors.push('user create needs --password of at least 10 characters')
    const role = values.role ?? 'operator'
    if (role !== 'admin' && role !== 'operator') errors.push(`--role must be "admin" or "operator", not "${role}"`)
    if (errors.length) return { ok: false, errors }
    return { ok: true, config: { command, db, email: values.email!, password: values.password!, role: role as Role, name: values.name } }
  }

  if (command === 'user reset-password') {
    if (!values.email) return { ok: false, errors: ['user reset-password needs --email'] }
    // No --password: a password given on the command line would stay in the shell's history and be seen in ps.
    if (values.password !== undefined) return { ok: false, errors: ['user reset-password takes no --password: it prints a new random one'] }
    return { ok: true, config: { command, db, email: values.email } }
  }

  if (command === 'key create') {
    const errors: string[] = []
    if (!values.email) errors.push('key create needs --email')
    const scope = values.scope ?? 'full'
    if (!(KEY_SCOPES as readonly string[]).includes(scope)) errors.push(`--scope must be "full", "agent" or "read", not "${scope}"`)
    if (errors.length) return { ok: false, errors }
    return { ok: true, config: { command, db, email: values.email!, name: values.name ?? 'cli', test: values.test ?? false, scope: scope as KeyScope } }
  }

  if ((command === 'backup' || command === 'restore') && isPostgresUrl(db))
    return { ok: false, errors: [`${command} is for the SQLite file; back up a PostgreSQL database with pg_dump and restore it with pg_restore (docs/postgres.md "Backups")`] }

  if (command === 'backup') {
    if (!values.out) return { ok: false, errors: ['backup needs --out FILE (a file that does not exist yet)'] }
    return { ok: true, config: { command, db, out: values.out } }
  }

  if (command === 'restore') {
    if (!values.from) return { ok: false, errors: ['restore needs --from FILE (the backup)'] }
    return { ok: true, config: { command, db, from: values.from, force: values.force ?? false } }
  }

  if (command === 'example-plan') return { ok: true, config: { command } }

  return { ok: false, errors: [`unknown command "${command}"`] }
}

const DEFAULT_TELEMETRY_RETENTION = '30d'
const UNIT_MICROS: Record<string, number> = { m: 60e6, h: 3600e6, d: 86_400e6 }

/** `30d`, `12h`, `90m` → microseconds; undefined when malformed or shorter than a minute. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,7})([mhd])$/.exec(text)
  if (!match) return undefined
  const micros = Number(match[1]) * UNIT_MICROS[match[2]!]!
  return micros >= 60e6 ? micros : undefined
}

function loadQuotas(values: Record<string, unknown>, env: Record<string, string | undefined>, errors: string[]): QuotaConfig {
  const eventsText = (values['quota-events-per-user'] as string | undefined) ?? env.QUOTA_EVENTS_PER_USER ?? 'off'
  const storageText = (values['quota-storage-per-user'] as string | undefined) ?? env.QUOTA_STORAGE_PER_USER ?? 'off'
  const events = eventsText === 'off' ? null : parseEventQuota(eventsText)
  if (events === null && eventsText !== 'off')
    errors.push(`--quota-events-per-user must be a count of events a day, or per period (100000, 5000/1h, 1000000/7d), or "off", not "${eventsText}"`)
  const storageBytes = storageText === 'off' ? null : parseSize(storageText)
  if (storageBytes === null && storageText !== 'off')
    errors.push(`--quota-storage-per-user must be a size of at least 1M (500M, 10G, 1.5T), or "off", not "${storageText}"`)
  return { events, storageBytes }
}

function loadRateLimits(values: Record<string, unknown>, env: Record<string, string | undefined>, errors: string[]): RateLimitConfig | null {
  const switchText = (values['rate-limits'] as string | undefined) ?? env.RATE_LIMITS ?? 'off'
  if (switchText !== 'on' && switchText !== 'off') errors.push(`--rate-limits must be "on" or "off", not "${switchText}"`)
  const config = { ...UPSTREAM_RATE_LIMITS }
  for (const kind of RATE_LIMIT_KINDS) {
    const text = (values[`rate-limit-${kind}`] as string | undefined) ?? env[`RATE_LIMIT_${kind.toUpperCase()}`]
    if (text === undefined) continue
    const rule = parseRateRule(text)
    if (rule) config[kind] = rule
    else errors.push(`--rate-limit-${kind} must look like 100/1m or 1/10s (count/period), not "${text}"`)
  }
  return switchText === 'on' ? config : null
}

/** `10.0.0.0/8, fd00::/8, 192.0.2.7`: every entry that is not an address or a clean CIDR range is reported. */
function loadTrustProxy(text: string, errors: string[]): Cidr[] {
  const ranges: Cidr[] = []
  for (const entry of text.split(',').map((item) => item.trim())) {
    if (entry === '') continue
    const parsed = parseCidr(entry)
    if ('error' in parsed) errors.push(`--trust-proxy: "${entry}" ${parsed.error}`)
    else ranges.push(parsed)
  }
  return ranges
}
