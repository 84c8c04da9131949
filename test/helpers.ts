// Test harness: a fresh app on its own SQLite file, request builders, and seeding through the real API.
import { afterEach, beforeEach } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp, type App } from '../src/app'
import { silentLogger, stderrLogger } from '../src/log'
import type { RateLimitConfig } from '../src/services/rate-limits'
import { createBus } from '../src/services/bus'
import { createReports } from '../src/services/reports'
import { createSqliteStore } from '../src/store/sqlite'
import type { RetentionOptions } from '../src/services/retention'
import type { AgentLostOptions, OnAgentLost } from '../src/services/agent-lost'
import type { Store } from '../src/store/types'
import { checkAnswer } from './shapes'
import type { QuotaConfig } from '../src/domain/quota'
import type { Metrics } from '../src/metrics'

/** Cheap argon2id settings: tests hash many passwords; production uses Bun's defaults. */
export const TEST_PASSWORD_OPTIONS = { algorithm: 'argon2id', memoryCost: 4096, timeCost: 1 } as const
export const PASSWORD = 'correct horse battery'

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

export type Harness = {
  app: App
  store: Store
  dbPath: string
  request(method: string, path: string, options?: RequestOptions): Promise<Reply>
  /** Closes the app and store and opens new ones on the same file, as a server restart does. */
  restart(store?: Parameters<typeof createSqliteStore>[1]): void
  close(): void
}

export function createHarness(
  options: {
    clock?: () => number
    rateLimits?: RateLimitConfig | null
    store?: Parameters<typeof createSqliteStore>[1]
    retention?: RetentionOptions
    quotas?: QuotaConfig
    metrics?: Metrics
    agentLost?: AgentLostOptions
    onAgentLost?: OnAgentLost
  } = {},
): Harness {
  const dir = tempDir()
  const dbPath = join(dir.path, 'test.db')
  const open = (storeOptions = options.store) => {
    const store = createSqliteStore(dbPath, storeOptions)
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
  const stop = () => {
    harness.app.services.replay.stop()
    harness.app.services.sessions.stop()
    void harness.app.services.retention.stop()
    void harness.app.services.webhooks.stop()
    void harness.app.services.agentLost.stop()
    harness.app.services.streams.stop()
    void harness.app.services.reports.stop()
    harness.store.close()
  }
  const harness: Harness = {
    ...open(),
    dbPath,
    request: (method, path, opts = {}) => send(harness.app, method, path, opts),
    restart(storeOptions) {
      stop()
      Object.assign(harness, open(storeOptions))
    },
    close() {
      stop()
      dir.remove()
    },
  }
  return harness
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

/** The reports service over a bare store, for tests that write event groups without an app. */
export function reportsOf(store: Store) {
  return createReports({ store, bus: createBus(), log: silentLogger })
}
