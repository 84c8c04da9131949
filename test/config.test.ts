import { describe, expect, test } from 'bun:test'
import { DEFAULTS, loadConfig } from '../src/config'

const load = (argv: string[], env: Record<string, string> = {}) => loadConfig({ argv, env })

describe('loadConfig', () => {
  test('serve is the default, with the documented defaults', () => {
    expect(load([])).toEqual({
      ok: true,
      config: { command: 'serve', host: DEFAULTS.host, port: 8080, db: './data/ground-console.db', durability: 'full', secureCookies: false, rateLimits: null, trustProxy: [], console: true, tls: null, admin: {}, metricsToken: null, logLevel: 'info', retentionDays: null, telemetryRetentionMicros: 30 * 86_400e6, quotas: { events: null, storageBytes: null }, agentLostAfterMicros: null, agentLostPolicy: 'flag' },
    })
  })

  test('environment variables apply and flags override them', () => {
    const env = { HOST: '0.0.0.0', PORT: '9000', DATABASE_PATH: '/var/lib/gc.db', DURABILITY: 'normal', SECURE_COOKIES: 'true' }
    expect(load(['serve'], env)).toMatchObject({ config: { host: '0.0.0.0', port: 9000, db: '/var/lib/gc.db', durability: 'normal', secureCookies: true } })
    expect(load(['--port', '9100', '--host', '::1', '--db', 'x.db', '--durability', 'full'], env)).toMatchObject({
      config: { host: '::1', port: 9100, db: 'x.db', durability: 'full' },
    })
  })

  test('TLS: a certificate and its key, from flags or the environment, both or neither; cookies become Secure', () => {
    expect(load(['--tls-cert', 'c.pem', '--tls-key', 'k.pem'])).toMatchObject({ config: { tls: { cert: 'c.pem', key: 'k.pem' }, secureCookies: true } })
    expect(load([], { TLS_CERT: '/etc/gc/c.pem', TLS_KEY: '/etc/gc/k.pem' })).toMatchObject({ config: { tls: { cert: '/etc/gc/c.pem', key: '/etc/gc/k.pem' }, secureCookies: true } })
    expect(load(['--tls-cert', 'other.pem'], { TLS_CERT: 'c.pem', TLS_KEY: 'k.pem' })).toMatchObject({ config: { tls: { cert: 'other.pem', key: 'k.pem' } } })
    expect(load([], { TLS_CERT: '', TLS_KEY: '' })).toMatchObject({ config: { tls: null, secureCookies: false } })
    const half = load(['--tls-cert', 'c.pem'])
    expect(half).toEqual({ ok: false, errors: ['set both --tls-cert and --tls-key (TLS_CERT and TLS_KEY), or neither'] })
    expect(load([], { TLS_KEY: 'k.pem' }).ok).toBe(false)
  })

  test('reports every problem at once', () => {
    const result = load(['--port', 'eighty', '--durability', 'maybe'], { ADMIN_EMAIL: 'a@b.c' })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.errors).toHaveLength(3)
  })

  test('--metrics-token (METRICS_TOKEN): unset by default, 16 to 256 visible ASCII characters, the flag over the variable', () => {
    expect(load([])).toMatchObject({ config: { metricsToken: null } })
    expect(load([], { METRICS_TOKEN: 'scrape-token-0123456789' })).toMatchObject({ config: { metricsToken: 'scrape-token-0123456789' } })
    expect(load(['--metrics-token', 'flag-token-0123456789'], { METRICS_TOKEN: 'scrape-token-0123456789' })).toMatchObject({ config: { metricsToken: 'flag-token-0123456789' } })
    expect(load(['--metrics-token', 'short']).ok).toBe(false)
    expect(load(['--metrics-token', 'has a space in it, 16+']).ok).toBe(false)
    expect(load(['--metrics-token', 'x'.repeat(257)]).ok).toBe(false)
  })

  test('--log-level (LOG_LEVEL): debug, info, warn or error; info by default', () => {
    expect(load([])).toMatchObject({ config: { logLevel: 'info' } })
    expect(load([], { LOG_LEVEL: 'warn' })).toMatchObject({ config: { logLevel: 'warn' } })
    expect(load(['--log-level', 'debug'], { LOG_LEVEL: 'warn' })).toMatchObject({ config: { logLevel: 'debug' } })
    expect(load(['--log-level', 'ERROR'])).toMatchObject({ config: { logLevel: 'error' } })
    const bad = load(['--log-level', 'verbose'])
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.errors[0]).toContain('verbose')
  })

  test('admin credentials come as a pair of at least 10 characters', () => {
    expect(load([], { ADMIN_EMAIL: 'a@b.c', ADMIN_PASSWORD: 'short' }).ok).toBe(false)
    expect(load([], { ADMIN_EMAIL: 'a@b.c', ADMIN_PASSWORD: 'long enough' })).toMatchObject({ config: { admin: { email: 'a@b.c', password: 'long enough' } } })
  })

  test('rate limits: off by default, upstream values when on, each configurable', () => {
    expect(load([])).toMatchObject({ config: { rateLimits: null } })
    expect(load(['--rate-limits', 'on'])).toMatchObject({
      config: { rateLimits: { poll: { count: 1, perSeconds: 10 }, telemetry: { count: 1, perSeconds: 30 }, events: { count: 100, perSeconds: 60 }, batches: { count: 10, perSeconds: 60 } } },
    })
    expect(load([], { RATE_LIMITS: 'on', RATE_LIMIT_EVENTS: '1000/1m', RATE_LIMIT_POLL: '2/5s' })).toMatchObject({
      config: { rateLimits: { events: { count: 1000, perSeconds: 60 }, poll: { count: 2, perSeconds: 5 } } },
    })
    expect(load(['--rate-limits', 'maybe']).ok).toBe(false)
    expect(load(['--rate-limit-events', 'lots']).ok).toBe(false)
  })

  test('trust-proxy: none by default; a comma list of addresses and CIDR ranges, IPv4 and IPv6; the flag wins', () => {
    expect(load([])).toMatchObject({ config: { trustProxy: [] } })
    const ranges = (result: ReturnType<typeof load>) => (result.ok && result.config.command === 'serve' ? result.config.trustProxy.map((r) => r.text) : result)
    expect(ranges(load(['--trust-proxy', '10.0.0.0/8, 192.0.2.7,fd00::/8,::1,'], {}))).toEqual(['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1'])
    expect(ranges(load([], { TRUST_PROXY: '127.0.0.1' }))).toEqual(['127.0.0.1'])
    expect(ranges(load(['--trust-proxy', '172.16.0.0/12'], { TRUST_PROXY: '127.0.0.1' }))).toEqual(['172.16.0.0/12'])
  })

  test('every bad trust-proxy entry is a startup error, listed with the other problems', () => {
    const result = load(['--trust-proxy', '10.0.0.0/33,proxy.local,10.1.0.0/8,fd00::/8', '--port', 'x'])
    expect(result).toEqual({
      ok: false,
      errors: [
        '--port must be a number from 0 to 65535, not "x"',
        '--trust-proxy: "10.0.0.0/33" has a prefix length that is not a number from 0 to 32',
        '--trust-proxy: "proxy.local" is not an IP address or CIDR range (like 10.0.0.0/8 or fd00::/8)',
        '--trust-proxy: "10.1.0.0/8" has host bits set below /8; did you mean 10.0.0.0/8?',
      ],
    })
    expect(load([], { TRUST_PROXY: '::1/200' }).ok).toBe(false)
  })

  test('user create and key create', () => {
    expect(load(['user', 'create', '--email', 'e@x.y', '--password', '0123456789', '--role', 'admin'])).toMatchObject({
      config: { command: 'user create', email: 'e@x.y', role: 'admin', db: DEFAULTS.db },
    })
    expect(load(['user', 'create', '--email', 'e@x.y', '--password', 'short']).ok).toBe(false)
    expect(load(['user', 'create', '--email', 'e@x.y', '--password', '0123456789', '--role', 'root']).ok).toBe(false)
    expect(load(['key', 'create', '--email', 'e@x.y', '--test'])).toMatchObject({ config: { command: 'key create', email: 'e@x.y', test: true, name: 'cli', scope: 'full' } })
    expect(load(['key', 'create', '--email', 'e@x.y', '--scope', 'agent'])).toMatchObject({ config: { scope: 'agent' } })
    expect(load(['key', 'create', '--email', 'e@x.y', '--scope', 'read'])).toMatchObject({ config: { scope: 'read' } })
    expect(load(['key', 'create', '--email', 'e@x.y', '--scope', 'admin'])).toEqual({ ok: false, errors: ['--scope must be "full", "agent" or "read", not "admin"'] })
    expect(load(['user', 'reset-password', '--email', 'e@x.y'])).toEqual({ ok: true, config: { command: 'user reset-password', email: 'e@x.y', db: DEFAULTS.db } })
    expect(load(['user', 'reset-password'])).toEqual({ ok: false, errors: ['user reset-password needs --email'] })
    expect(load(['user', 'reset-password', '--email', 'e@x.y', '--password', 'x'.repeat(12)])).toMatchObject({ ok: false })
    expect(load(['key', 'create']).ok).toBe(false)
  })

  test('help, version, unknown commands and flags', () => {
    expect(load(['--help'])).toEqual({ ok: true, config: { command: 'help' } })
    expect(load(['-v'])).toEqual({ ok: true, config: { command: 'version' } })
    expect(load(['launch']).ok).toBe(false)
    expect(load(['--frobnicate']).ok).toBe(false)
  })
})

test('--no-console or CONSOLE=off serves the API alone; a bad CONSOLE value is refused', () => {
  expect(load(['--no-console'])).toMatchObject({ ok: true, config: { console: false } })
  expect(load([], { CONSOLE: 'off' })).toMatchObject({ ok: true, config: { console: false } })
  expect(load([], { CONSOLE: 'on' })).toMatchObject({ ok: true, config: { console: true } })
  expect(load([], { CONSOLE: 'maybe' })).toEqual({ ok: false, errors: ['CONSOLE must be "on" or "off", not "maybe"'] })
})

test('retention: events kept and telemetry 30 days by default; --retention-days N, RETENTION_DAYS, durations, off', () => {
  expect(load([])).toMatchObject({ config: { retentionDays: null, telemetryRetentionMicros: 30 * 86_400e6 } })
  expect(load(['--retention-days', '90'])).toMatchObject({ config: { retentionDays: 90 } })
  expect(load([], { RETENTION_DAYS: '7' })).toMatchObject({ config: { retentionDays: 7 } })
  expect(load(['--retention-days', 'off'], { RETENTION_DAYS: '7' })).toMatchObject({ config: { retentionDays: null } })
  expect(load(['--telemetry-retention', '12h'])).toMatchObject({ config: { telemetryRetentionMicros: 12 * 3600e6 } })
  expect(load([], { TELEMETRY_RETENTION: '90m' })).toMatchObject({ config: { telemetryRetentionMicros: 90 * 60e6 } })
  expect(load(['--telemetry-retention', 'off'])).toMatchObject({ config: { telemetryRetentionMicros: null } })
  for (const bad of ['0', '-1', '1.5', 'ten', '', '1e3', '9999999'])
    expect(load(['--retention-days', bad])).toMatchObject({ ok: false, errors: [expect.stringContaining('--retention-days')] })
  for (const bad of ['30', '0d', '0m', '30s', '1w', 'forever', '', ' 30d'])
    expect(load(['--telemetry-retention', bad])).toMatchObject({ ok: false, errors: [expect.stringContaining('--telemetry-retention')] })
})

test('quotas: off by default; events a day or per period, storage as a size; each refused with its reason', () => {
  expect(load([])).toMatchObject({ config: { quotas: { events: null, storageBytes: null } } })
  expect(load(['--quota-events-per-user', '100000'])).toMatchObject({ config: { quotas: { events: { count: 100000, periodMicros: 86_400e6 } } } })
  expect(load(['--quota-events-per-user', '5000/1h'])).toMatchObject({ config: { quotas: { events: { count: 5000, periodMicros: 3600e6 } } } })
  expect(load([], { QUOTA_EVENTS_PER_USER: '10/10m' })).toMatchObject({ config: { quotas: { events: { count: 10, periodMicros: 600e6 } } } })
  expect(load(['--quota-storage-per-user', '10G'])).toMatchObject({ config: { quotas: { storageBytes: 10 * 1024 ** 3 } } })
  expect(load([], { QUOTA_STORAGE_PER_USER: '1.5GiB' })).toMatchObject({ config: { quotas: { storageBytes: 1.5 * 1024 ** 3 } } })
  expect(load(['--quota-storage-per-user', '1048576'])).toMatchObject({ config: { quotas: { storageBytes: 1048576 } } })
  expect(load(['--quota-storage-per-user', 'off'], { QUOTA_STORAGE_PER_USER: '1G' })).toMatchObject({ config: { quotas: { storageBytes: null } } })
  for (const bad of ['0', '-5', '10/0h', '10/1s', '1e5', '', 'lots', '10/', '/1d'])
    expect(load(['--quota-events-per-user', bad])).toMatchObject({ ok: false, errors: [expect.stringContaining('--quota-events-per-user')] })
  for (const bad of ['0', '512K', '1023K', 'big', '', '-1G', '10X'])
    expect(load(['--quota-storage-per-user', bad])).toMatchObject({ ok: false, errors: [expect.stringContaining('--quota-storage-per-user')] })
})

test('backup needs --out; restore needs --from and takes --force', () => {
  expect(load(['backup', '--out', 'b.db', '--db', 'x.db'])).toEqual({ ok: true, config: { command: 'backup', db: 'x.db', out: 'b.db' } })
  expect(load(['backup'], { DATABASE_PATH: '/var/lib/gc.db' })).toMatchObject({ ok: false, errors: [expect.stringContaining('--out')] })
  expect(load(['restore', '--from', 'b.db'], { DATABASE_PATH: '/var/lib/gc.db' })).toEqual({ ok: true, config: { command: 'restore', db: '/var/lib/gc.db', from: 'b.db', force: false } })
  expect(load(['restore', '--from', 'b.db', '--force'])).toMatchObject({ config: { force: true } })
  expect(load(['restore'])).toMatchObject({ ok: false, errors: [expect.stringContaining('--from')] })
})

test('lost agents: off and flag by default; --agent-lost-after D (AGENT_LOST_AFTER), --agent-lost-policy flag|fail (AGENT_LOST_POLICY)', () => {
  expect(load([])).toMatchObject({ config: { agentLostAfterMicros: null, agentLostPolicy: 'flag' } })
  expect(load(['--agent-lost-after', '10m'])).toMatchObject({ config: { agentLostAfterMicros: 10 * 60e6 } })
  expect(load([], { AGENT_LOST_AFTER: '2h', AGENT_LOST_POLICY: 'fail' })).toMatchObject({ config: { agentLostAfterMicros: 2 * 3600e6, agentLostPolicy: 'fail' } })
  expect(load(['--agent-lost-after', '1d', '--agent-lost-policy', 'flag'], { AGENT_LOST_AFTER: '2h', AGENT_LOST_POLICY: 'fail' })).toMatchObject({
    config: { agentLostAfterMicros: 86_400e6, agentLostPolicy: 'flag' },
  })
  expect(load(['--agent-lost-after', 'off'], { AGENT_LOST_AFTER: '2h' })).toMatchObject({ config: { agentLostAfterMicros: null } })
  for (const bad of ['10', '30s', '0m', '-5m', '1w', ''])
    expect(load(['--agent-lost-after', bad])).toMatchObject({ ok: false, errors: [expect.stringContaining('--agent-lost-after')] })
  for (const bad of ['FAIL', 'cancel', ''])
    expect(load(['--agent-lost-policy', bad])).toMatchObject({ ok: false, errors: [expect.stringContaining('--agent-lost-policy')] })
})

test('PostgreSQL: --db or DATABASE_URL takes a postgres:// URL; the flag wins, then DATABASE_URL, then DATABASE_PATH', () => {
  const url = 'postgres://gc:secret@db.example:5432/gc'
  expect(load(['--db', url])).toMatchObject({ ok: true, config: { db: url } })
  expect(load([], { DATABASE_URL: 'postgresql://db/gc' })).toMatchObject({ ok: true, config: { db: 'postgresql://db/gc' } })
  expect(load([], { DATABASE_URL: url, DATABASE_PATH: '/var/lib/gc.db' })).toMatchObject({ config: { db: url } })
  expect(load(['--db', 'x.db'], { DATABASE_URL: url })).toMatchObject({ config: { db: 'x.db' } })
  // A DATABASE_URL that is not PostgreSQL's is refused, with the password not repeated.
  const wrong = load([], { DATABASE_URL: 'mysql://u:hunter2hunter2@h/db' })
  expect(wrong.ok).toBe(false)
  expect(JSON.stringify(wrong)).toContain('DATABASE_URL must be a postgres://')
  expect(JSON.stringify(wrong)).not.toContain('hunter2hunter2')
  expect(load(['--db', 'postgres://[bad'])).toEqual({ ok: false, errors: ['--db: the PostgreSQL URL cannot be parsed (postgres://user:password@host:5432/database)'] })
})

test('PostgreSQL: --durability normal and the file commands backup and restore are the SQLite file’s only', () => {
  const url = 'postgres://db/gc'
  expect(load(['--db', url, '--durability', 'normal'])).toMatchObject({ ok: false, errors: [expect.stringContaining('synchronous_commit on')] })
  expect(load(['--db', url, '--durability', 'full'])).toMatchObject({ ok: true })
  expect(load(['backup', '--out', 'b.db', '--db', url])).toMatchObject({ ok: false, errors: [expect.stringContaining('pg_dump')] })
  expect(load(['restore', '--from', 'b.db', '--db', url])).toMatchObject({ ok: false, errors: [expect.stringContaining('pg_restore')] })
  expect(load(['user', 'create', '--email', 'a@b.c', '--password', 'long enough pw', '--db', url])).toMatchObject({ ok: true, config: { command: 'user create', db: url } })
})
