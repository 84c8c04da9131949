// GET /metrics (docs/operations.md "Metrics"): the Prometheus text exposition, made with prom-client.
// What the hot path does is one counter increment and one histogram observation per request, and two
// counter increments per group commit; everything read from the database or the disk is read at scrape
// time (one GROUP BY per table, two stats). Every label is bounded: routes are the app's route patterns
// (never the raw path), methods a fixed list, statuses the few the server answers.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { ReportMetrics } from './services/reports'
import type { Store } from './store/types'
import { DEPLOYMENT_STATUSES } from './domain/deployment'
import { AGENT_STATUSES } from './domain/agent'

/** The route label of a request that matched no route (or was refused before routing). */
export { UNMATCHED_ROUTE } from './http/observe'
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** Seconds: from well under a millisecond (an acknowledged report is about a flush) to a slow export. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const FLUSH_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]
const GROUP_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]

/** What the webhook sender tells GET /metrics: one count per attempt, by its outcome. */
export type WebhookMetrics = { attempt(outcome: 'delivered' | 'retry' | 'given_up'): void }

export type MetricSources = { store: Pick<Store, 'countByStatus' | 'fileSizes'>; streams: { readonly openCount: number } }

export type Metrics = ReturnType<typeof createMetrics>

export function createMetrics() {
  const registry = new Registry()
  const registers = [registry]
  let sources: MetricSources | null = null

  const requests = new Counter({ name: 'ground_console_http_requests_total', help: 'HTTP requests answered, by route pattern, method and status.', labelNames: ['route', 'method', 'status'] as const, registers })
  const latency = new Histogram({ name: 'ground_console_http_request_duration_seconds', help: 'Time to answer a request (to the response head; for a stream, until it opened), by route pattern.', labelNames: ['route'] as const, buckets: LATENCY_BUCKETS, registers })
  const stored = new Counter({ name: 'ground_console_events_stored_total', help: 'Events stored (durable), reports and replays alike.', registers })
  const retries = new Counter({ name: 'ground_console_event_retries_total', help: 'Reported events recognised as retries of stored ones (not stored again).', registers })
  const quotaRefusals = new Counter({ name: 'ground_console_quota_refusals_total', help: 'Reports refused by a per-user quota (nothing stored), by quota: events (per period) or storage.', labelNames: ['quota'] as const, registers })
  const groups = new Histogram({ name: 'ground_console_group_commit_events', help: 'Events per group commit (one transaction, one flush).', buckets: GROUP_BUCKETS, registers })
  const flushes = new Histogram({ name: 'ground_console_wal_flush_duration_seconds', help: 'Time of each fdatasync of the WAL that makes group commits durable.', buckets: FLUSH_BUCKETS, registers })

  const deployments = new Gauge({ name: 'ground_console_deployments', help: 'Deployments by status (all users).', labelNames: ['status'] as const, registers })
  const agents = new Gauge({ name: 'ground_console_agents', help: 'Agents by status (all users).', labelNames: ['status'] as const, registers })
  const subscribers = new Gauge({ name: 'ground_console_stream_subscribers', help: 'Open stream (SSE) connections.', registers })
  const databaseBytes = new Gauge({ name: 'ground_console_database_bytes', help: 'Size of the database file.', registers })
  const webhookAttempts = new Counter({
    name: 'ground_console_webhook_attempts_total',
    help: 'Webhook delivery attempts, by outcome: delivered (a 2xx), retry (failed, to be tried again), given_up (failed for the last time).',
    labelNames: ['outcome'] as const,
    registers,
  })
  const walBytes = new Gauge({ name: 'ground_console_wal_bytes', help: 'Size of the database WAL file.', registers })

  /** Reads the gauges: at scrape time only. */
  async function collect() {
    if (!sources) return
    const counts = await sources.store.countByStatus()
    // Every known status, zero included, so that a status that empties shows 0 rather than vanishing.
    for (const status of DEPLOYMENT_STATUSES) deployments.set({ status }, counts.deployments[status] ?? 0)
    for (const status of AGENT_STATUSES) agents.set({ status }, counts.agents[status] ?? 0)
    subscribers.set(sources.streams.openCount)
    const sizes = sources.store.fileSizes()
    databaseBytes.set(sizes.database)
    walBytes.set(sizes.wal)
  }

  const reports: ReportMetrics = {
    group: (events) => groups.observe(events),
    stored(created, retried) {
      if (created) stored.inc(created)
      if (retried) retries.inc(retried)
    },
  }

  const webhooks: WebhookMetrics = {
    attempt: (outcome) => webhookAttempts.inc({ outcome }),
  }
  // Every outcome listed from the start, at 0, so that rate() sees the first one.
  for (const outcome of ['delivered', 'retry', 'given_up'] as const) webhookAttempts.inc({ outcome }, 0)

  return {
    /** One request answered (the hot path). `route` is a route pattern or UNMATCHED_ROUTE. */
    request(route: string, method: string, status: number, seconds: number) {
      requests.inc({ route, method: METHODS.has(method) ? method : 'other', status })
      latency.observe({ route }, seconds)
    },
    reports,
    /** A report refused by a quota (src/services/quotas.ts). */
    quotaRefused: (quota: 'events' | 'storage') => quotaRefusals.inc({ quota }),
    /** The webhook sender's attempts (src/services/webhooks.ts). */
    webhooks,
    /** A flush of the WAL (src/store/sqlite/durable.ts `onFlush`). */
    flushed: (seconds: number) => flushes.observe(seconds),
    /** Where the scrape-time gauges are read from (createApp sets it). */
    readFrom(from: MetricSources) {
      sources = from
    },
    async render(): Promise<string> {
      await collect()
      return registry.metrics()
    },
    contentType: registry.contentType,
  }
}
