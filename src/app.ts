// createApp: every plugin mounted in one readable order. It never listens; src/server.ts serves it.
import { Elysia } from 'elysia'
import { createAuthService, type PasswordOptions } from './auth/service'
import { createSessionSweeper } from './auth/session-sweep'
import { createAgentService } from './services/agents'
import { createFailures } from './services/failures'
import { createBus } from './services/bus'
import { createStreams } from './http/streams'
import { createNodeNews } from './services/node-news'
import { streamRoutes } from './routes/streams'
import { createReports } from './services/reports'
import { createRateLimits, type RateLimitConfig } from './services/rate-limits'
import { createQuotas } from './services/quotas'
import { NO_QUOTAS, type QuotaConfig } from './domain/quota'
import { createReplayScheduler } from './services/replay'
import type { Cidr } from './domain/ip'
import { systemClock, type Clock } from './domain/time'
import { authPlugin } from './http/auth'
import { resolveClientAddress } from './http/client-address'
import { errorPlugin } from './http/errors'
import { requestGuard } from './http/request-guard'
import { stderrLogger, type Logger } from './log'
import { createObserver } from './http/observe'
import type { Metrics } from './metrics'
import { metricsRoutes } from './routes/metrics'
import { agentRoutes } from './routes/agent'
import { fleetRoutes } from './routes/agents'
import { authRoutes } from './routes/auth'
import type { RouteDeps, SocketControl } from './routes/deps'
import { deploymentRoutes } from './routes/deployments'
import { eventExportRoutes } from './routes/event-export'
import { eventRoutes } from './routes/events'
import { healthRoutes } from './routes/health'
import { keyRoutes } from './routes/keys'
import { missionRoutes } from './routes/missions'
import { planRoutes } from './routes/plans'
import { userRoutes } from './routes/users'
import { webhookRoutes } from './routes/webhooks'
import { createAlerts, createWebhookSender, type WebhookSenderOptions } from './services/webhooks'
import { adminRoutes } from './routes/admin'
import { auditRoutes } from './routes/audit'
import { referenceRoutes } from './routes/reference'
import { usageRoutes } from './routes/usage'
import type { RouteEntry } from './http/openapi'
import { createRetention, type RetentionOptions } from './services/retention'
import { createAgentLostSweeper, type AgentLostOptions, type OnAgentLost } from './services/agent-lost'
import type { Store } from './store/types'
import { createConsoleApi } from './console/api'
import { consoleRoutes, missingPage, problemPage } from './console'

export type AppOptions = {
  store: Store
  clock?: Clock
  log?: Logger
  secureCookies?: boolean
  password?: PasswordOptions
  /** The agent protocol's rate limits; null (the default) turns them off. */
  rateLimits?: RateLimitConfig | null
  /** Proxies whose X-Forwarded-For is believed (`--trust-proxy`); none by default. */
  trustProxy?: readonly Cidr[]
  /** How often expired sessions are swept once `services.sessions.start()` runs (default 10 minutes). */
  sessionSweepEveryMs?: number
  /** Serve the web console (docs/api.md §7; default true). `--no-console` serves the API alone. */
  console?: boolean
  /**
   * GET /metrics behind this bearer token (`--metrics-token`), counted into `metrics` (which main.ts also
   * gives the store, for flush times). Absent: no /metrics route, nothing counted.
   */
  metrics?: { registry: Metrics; token: string } | null
  /** Retention of old events and telemetry (docs/operations.md); default: events kept, telemetry 30 days. */
  retention?: RetentionOptions
  /** How often the retention sweeper runs once `services.retention.start()` runs (default a minute). */
  retentionEveryMs?: number
  /** Per-user quotas on reports (`--quota-events-per-user`, `--quota-storage-per-user`); none by default. */
  quotas?: QuotaConfig
  /** The webhook sender's fetch, timeout, bound in flight and period (src/services/webhooks.ts; tests change them). */
  webhooks?: Omit<WebhookSenderOptions, 'store' | 'clock' | 'log' | 'metrics'>
  /** Lost agents (`--agent-lost-after`, `--agent-lost-policy`; docs/operations.md "Lost agents"); default: off. */
  agentLost?: AgentLostOptions
  /** How often the lost-agent sweep runs once `services.agentLost.start()` runs (default 15 s). */
  agentLostEveryMs?: number
  /** Told once per agent found lost, after its lost_at is stored (the webhooks' `agent.lost` connects here). */
  onAgentLost?: OnAgentLost
}

/** The default of `--telemetry-retention`: 30 days. */
export const DEFAULT_RETENTION: RetentionOptions = { retentionDays: null, telemetryRetentionMicros: 30 * 86_400e6 }

export function createApp(options: AppOptions) {
  const clock = options.clock ?? systemClock
  const log = options.log ?? stderrLogger
  const secureCookies = options.secureCookies ?? false
  const store = options.store
  const auth = createAuthService({ store, clock, password: options.password })
  const bus = createBus({ onListenerError: (error) => log.error('a stream listener failed', { error: String(error) }) })
  const metrics = options.metrics?.registry ?? null
  const relayed = new WeakMap<Request, Request>()
  const observer = createObserver({ log, metrics, relayedFrom: (request) => relayed.get(request) })
  const reports = createReports({ store, bus, log, metrics: metrics?.reports })
  const failures = createFailures({ reports, clock, log })
  const agents = createAgentService({ store, clock, failures, reports })
  const replay = createReplayScheduler({ store, clock, log, failures, reports })
  const sessions = createSessionSweeper({ store, clock, log, everyMs: options.sessionSweepEveryMs })
  const retention = createRetention({ store, clock, log, options: options.retention ?? DEFAULT_RETENTION, everyMs: options.retentionEveryMs })
  // Sends the webhook outbox; alerts raised outside the deployment writes go through `alerts` (docs/api.md §1 "Webhooks").
  const webhooks = createWebhookSender({ store, clock, log, metrics: metrics?.webhooks, ...options.webhooks })
  const alerts = createAlerts({ store, clock, sender: webhooks })
  const agentLost = createAgentLostSweeper({
    store,
    clock,
    log,
    failures,
    options: options.agentLost ?? { afterMicros: null, policy: 'flag' },
    // A lost agent is an `agent.lost` alert for the user's webhooks (docs/api.md §1 "Webhooks"), then whatever else was asked.
    async onAgentLost(userId, agentId, at, lastSeenAt) {
      await alerts.agentLost(userId, agentId, at, lastSeenAt)
      await options.onAgentLost?.(userId, agentId, at, lastSeenAt)
    },
    everyMs: options.agentLostEveryMs,
  })
  const streams = createStreams({ store, bus, log, stillValid: auth.stillValid })
  // Several nodes (PostgreSQL): what the others commit reaches this node's streams. Started here, so that
  // every app on a shared database hears the others from its first request; nothing to hear on SQLite.
  const nodeNews = createNodeNews({ store, bus, log })
  void nodeNews.start()
  const trustProxy = options.trustProxy ?? []
  // Set by src/server.ts once the app is served on a socket.
  let sockets: SocketControl = { keepOpen() {}, cutOff() {} }
  const deps: RouteDeps = {
    store,
    auth,
    agents,
    reports,
    bus,
    streams,
    sockets: { keepOpen: (request) => sockets.keepOpen(request), cutOff: (request) => sockets.cutOff(request) },
    replay,
    rateLimits: createRateLimits(options.rateLimits ?? null, clock),
    quotas: createQuotas({ store, clock, config: options.quotas ?? NO_QUOTAS, onRefused: metrics?.quotaRefused }),
    clock,
    log,
    secureCookies,
    guard: authPlugin({ auth, secureCookies, clock, onAgent: agents.seen, onPrincipal: observer.notePrincipal }),
    observer,
    clientAddress: (request) => {
      // A console page calls the API in process: the address is that of the browser it calls for.
      const source = relayed.get(request) ?? request
      return resolveClientAddress(locatePeer(source), source.headers.get('x-forwarded-for'), trustProxy)
    },
  }
  // Set by src/server.ts once the app is served on a socket; in-process requests have no address.
  let locatePeer = (_request: Request) => 'unknown'

  const handle = (request: Request) => app.handle(request)
  // The reference reads the routes as the app finally holds them (metrics and console included).
  let routesNow = (): readonly RouteEntry[] => []
  const app = new Elysia()
    .use(observer.plugin)
    .use(errorPlugin(log, (error) => store.isUnavailable(error), options.console === false ? undefined : missingPage))
    .use(requestGuard(options.console === false ? undefined : problemPage))
    .use(healthRoutes(deps))
    .use(referenceRoutes(() => routesNow()))
    .use(authRoutes(deps))
    .use(userRoutes(deps))
    .use(adminRoutes(deps))
    .use(auditRoutes(deps))
    .use(keyRoutes(deps))
    .use(missionRoutes(deps))
    .use(planRoutes(deps))
    .use(streamRoutes(deps))
    .use(deploymentRoutes(deps))
    .use(eventRoutes(deps))
    .use(eventExportRoutes(deps))
    .use(agentRoutes(deps))
    .use(fleetRoutes(deps))
    .use(usageRoutes(deps))
    .use(webhookRoutes(deps, webhooks))
  if (options.metrics) {
    metrics!.readFrom({ store, streams })
    app.use(metricsRoutes(metrics!, options.metrics.token))
  }
  if (options.console !== false) {
    // The page's own request is what is logged and counted; its calls are lines only at debug (docs/operations.md).
    const handleForPage = (request: Request) => {
      const from = relayed.get(request)
      return from ? observer.handleInternal(request, from, handle) : app.handle(request)
    }
    app.use(consoleRoutes({ api: createConsoleApi(handleForPage, relayed) }))
  }
  routesNow = () => app.routes
  return Object.assign(app, {
    services: { auth, replay, sessions, reports, bus, streams, retention, webhooks, alerts, agentLost, nodeNews },
    /**
     * What the socket serves (src/server.ts): the app, with request ids, log lines and request metrics
     * (src/http/observe.ts). `handle` alone is the app unobserved (tests, the console's in-process calls).
     */
    serveRequest: (request: Request) => observer.handle(request, handle),
    /**
     * Tells the app how to find a request's socket peer; the client address is resolved from it and the
     * trusted proxies (src/http/client-address.ts). Only password checks ask, so it is lazy.
     */
    locatePeersWith(locate: (request: Request) => string) {
      locatePeer = locate
    },
    /** Gives routes a hold on the sockets behind their requests (src/server.ts). */
    controlSocketsWith(control: SocketControl) {
      sockets = control
    },
  })
}

export type App = ReturnType<typeof createApp>
