// The retention sweeper (docs/operations.md "Retention"): on a timer, deletes the events of terminal
// deployments completed more than `retentionDays` ago, audit records older than that, and telemetry samples older than the telemetry
// bound. Each batch is one small transaction (at most BATCH rows); a turn of the event loop comes between
// batches, so reports are committed between them however large the backlog. Like src/auth/session-sweep.ts.
import type { Clock } from '../domain/time'
import type { Logger } from '../log'
import type { AgentRef, Store } from '../store/types'
import { nextTurn } from '../turn'
import { periodic } from './periodic'

export const RETENTION_SWEEP_EVERY_MS = 60_000
export const RETENTION_BATCH = 1000
const DAY_MICROS = 86_400 * 1_000_000

export type RetentionOptions = {
  /** Events of terminal deployments completed more than this many days ago are deleted; null: kept. */
  retentionDays: number | null
  /** Telemetry samples older than this (microseconds) are deleted; null: kept (within the per-agent cap). */
  telemetryRetentionMicros: number | null
}
export type RetentionSweep = { events: number; deployments: number; samples: number; audit: number }
export type Retention = ReturnType<typeof createRetention>

export function createRetention({
  store,
  clock,
  log,
  options,
  everyMs = RETENTION_SWEEP_EVERY_MS,
  batch = RETENTION_BATCH,
  onBatch,
}: {
  store: Store
  clock: Clock
  log: Logger
  options: RetentionOptions
  everyMs?: number
  batch?: number
  /** Told after each committed batch (tests watch the interleaving with it). */
  onBatch?: (deleted: number) => void
}) {
  const enabled = options.retentionDays !== null || options.telemetryRetentionMicros !== null

  async function sweepEvents(result: RetentionSweep) {
    if (options.retentionDays === null) return
    const cutoff = clock() - options.retentionDays * DAY_MICROS
    const touched = new Set<string>()
    while (!job.stopped) {
      const { deleted, deploymentId } = await store.pruneDeploymentEvents(cutoff, batch)
      if (deploymentId === null) return
      result.events += deleted
      if (deleted > 0) touched.add(deploymentId)
      result.deployments = touched.size
      if (deleted > 0) onBatch?.(deleted)
      // Let requests in between batches.
      await nextTurn()
    }
  }

  /** Audit records older than `retentionDays` go too (docs/operations.md "Retention"), oldest first, a batch at a time. */
  async function sweepAudit(result: RetentionSweep) {
    if (options.retentionDays === null) return
    const cutoff = clock() - options.retentionDays * DAY_MICROS
    while (!job.stopped) {
      const deleted = await store.pruneAudit(cutoff, batch)
      result.audit += deleted
      if (deleted > 0) onBatch?.(deleted)
      if (deleted < batch) return
      await nextTurn()
    }
  }

  async function sweepTelemetry(result: RetentionSweep) {
    if (options.telemetryRetentionMicros === null) return
    const cutoff = clock() - options.telemetryRetentionMicros
    let after: AgentRef | null = null
    while (!job.stopped) {
      const { deleted, next } = await store.pruneAgentTelemetry(cutoff, after)
      if (!next) return
      result.samples += deleted
      after = next
      if (deleted > 0) onBatch?.(deleted)
      await nextTurn()
    }
  }

  const job = periodic({
    everyMs,
    log,
    failed: 'the retention sweep failed; it runs again later',
    done: (r: RetentionSweep) =>
      (r.events > 0 || r.samples > 0 || r.audit > 0) &&
      log.info('retention: old data deleted', { events: r.events, deployments: r.deployments, telemetrySamples: r.samples, auditRecords: r.audit }),
    async work() {
      const result: RetentionSweep = { events: 0, deployments: 0, samples: 0, audit: 0 }
      await sweepEvents(result)
      await sweepAudit(result)
      await sweepTelemetry(result)
      return result
    },
  })

  return {
    /** One full sweep; a sweep already running is joined. */
    sweep: job.run,
    enabled,
    start() {
      if (enabled) job.start()
    },
    /** Stops the timer; a sweep in progress ends after its current batch (the promise resolves then). */
    stop: job.stop,
  }
}
