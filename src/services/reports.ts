// The reports service: the one way events are stored — agents' single reports and batches, the simulated
// replay, the server's own failures — and the one place that knows when they are durable, and tells the
// bus (src/services/bus.ts) then, never before.
//
// Group commit: the reports that arrive while the previous group commits wait and are written together in
// the next transaction, so one flush covers them all. Each caller's promise settles only after that
// transaction is durable, so an acknowledgement always means "on disk". Under load the groups grow by
// themselves, up to a bound in inputs, events and bytes, so that no group holds the event loop for long.
// Waiting reports are queued per user and taken round-robin: one tenant's flood cannot starve another's
// reports, which go into the very next group (docs/limits.md).
import type { Logger } from '../log'
import type { DeploymentChange, GroupOutcome, RecordEventResult, RecordEventsInput, Reporter, Store } from '../store/types'
import type { Bus } from './bus'
import { InputFailure, recordGroup, requireReportable, type GroupRecord } from './report-group'

/** A group's bounds; the first input taken always fits, whatever its size. */
const MAX_GROUP_INPUTS = 1000
const MAX_GROUP_EVENTS = 2000
const MAX_GROUP_PAYLOAD_BYTES = 8 * 1024 * 1024
/** A deployment's event count reaches its owner's list stream at most this often (docs/api.md §3.3). */
const COUNT_CHANGE_EVERY_MS = 1000

type Pending = { input: RecordEventsInput; size: number; resolve(results: RecordEventResult[]): void; reject(error: unknown): void }

export type Reports = ReturnType<typeof createReports>

/** An input's weight against the group's byte bound: its payloads' JSON length (UTF-16 units, close enough). */
const payloadSize = (input: RecordEventsInput) => input.events.reduce((sum, { event, staged }) => sum + (staged == null ? event.payloadJson.length : 0), 0)

/** What the reports service tells GET /metrics (src/metrics.ts): counts only, no labels. */
export type ReportMetrics = {
  /** A group was written: how many events it held (stored and retried alike). */
  group(events: number): void
  /** A group is durable: events stored anew, and retries recognised (an event already stored, not stored again). */
  stored(created: number, retried: number): void
}

export function createReports({ store, bus, log, metrics }: { store: Store; bus: Bus; log: Logger; metrics?: ReportMetrics }) {
  /** Per user, in arrival order; a Map iterates in insertion order, which makes the round-robin. */
  const queues = new Map<string, Pending[]>()
  let scheduled = false
  let committing = false
  /** Deployments whose event count moved since their last change was published, by id. */
  const countsMoved = new Set<string>()
  let countTimer: ReturnType<typeof setTimeout> | undefined
  let countsFailing = false
  let stopped = false

  /**
   * Runs the group's transaction; an input that throws unexpectedly may have written rows already, so the
   * transaction is rolled back and run again without it: the others commit exactly as if it had not been
   * sent. Resolves once the transaction has committed, with the promise of its durability.
   */
  async function writeGroup(inputs: readonly RecordEventsInput[]): Promise<{ value: GroupRecord; durable: Promise<void> }> {
    const failed = new Map<number, unknown>()
    for (;;) {
      try {
        // Its news goes out once it is durable, in commit order with every other write's (docs/streams.md).
        const written = await store.writeEventGroup(inputs, (writes) => recordGroup(writes, inputs, failed), publish)
        if (metrics) {
          let events = 0
          for (const input of inputs) events += input.events.length
          metrics.group(events)
        }
        return written
      } catch (error) {
        if (!(error instanceof InputFailure)) throw error
        failed.set(error.index, error.error)
      }
    }
  }

  /**
   * Once the group is durable: each input's outcome. If the flush failed after the commit, what was stored
   * may not be on disk, so nothing stored is acknowledged (nor published); inputs refused by their checks
   * keep their own answer.
   */
  async function settle({ value, durable }: { value: GroupRecord; durable: Promise<void> }): Promise<GroupOutcome[]> {
    try {
      await durable
    } catch (error) {
      return value.outcomes.map((outcome) => (outcome.ok ? { ok: false, error } : outcome))
    }
    if (metrics) {
      let created = 0
      let retried = 0
      for (const outcome of value.outcomes) if (outcome.ok) for (const result of outcome.results) result.created ? created++ : retried++
      metrics.stored(created, retried)
    }
    return value.outcomes
  }

  function publish({ news, changes }: GroupRecord) {
    for (const item of news) bus.publishDeployment(item)
    const changed = new Set<string>()
    for (const change of changes) {
      changed.add(change.deployment.id)
      countsMoved.delete(change.deployment.id)
      bus.publishChange(change.deployment.userId, change)
    }
    for (const item of news) if (!changed.has(item.deploymentId) && item.items.some((i) => i.kind === 'event')) countsMoved.add(item.deploymentId)
    if (countsMoved.size && !countTimer && !stopped) armCountTimer()
  }

  function armCountTimer() {
    // Never what keeps the process alive: a shutdown does not wait for it.
    countTimer = setTimeout(publishCounts, COUNT_CHANGE_EVERY_MS)
    countTimer.unref?.()
  }

  /** Gives every deployment whose count moved its next change number, and publishes it (once a second). */
  async function publishCounts() {
    const ids = [...countsMoved]
    countsMoved.clear()
    try {
      await store.markDeploymentsChanged(ids, publishChanges)
      countsFailing = false
    } catch (error) {
      // Not stored: they stay to be tried at the next tick; said once until it works again.
      for (const id of ids) countsMoved.add(id)
      if (!countsFailing) log.error('could not record deployment event counts for the list stream; retrying every second', { error: String(error) })
      countsFailing = true
    } finally {
      countTimer = undefined
      if (countsMoved.size && !stopped) armCountTimer()
    }
  }

  function publishChanges(changes: DeploymentChange[]) {
    for (const change of changes) bus.publishChange(change.deployment.userId, change)
  }

  /** Takes one input per user in turn until a bound is reached. */
  function takeGroup(): Pending[] {
    const group: Pending[] = []
    let events = 0
    let bytes = 0
    for (;;) {
      let took = false
      for (const [user, queue] of queues) {
        const next = queue[0]!
        if (group.length > 0 && (group.length >= MAX_GROUP_INPUTS || events + next.input.events.length > MAX_GROUP_EVENTS || bytes + next.size > MAX_GROUP_PAYLOAD_BYTES))
          return group
        group.push(queue.shift()!)
        events += next.input.events.length
        bytes += next.size
        took = true
        // A user whose queue empties leaves the rotation; one with more waiting goes to its end.
        queues.delete(user)
        if (queue.length > 0) queues.set(user, queue)
      }
      if (!took) return group
    }
  }

  async function commitNextGroup() {
    scheduled = false
    if (committing || queues.size === 0) return
    committing = true
    const group = takeGroup()
    // A group cut short by its bounds leaves reports waiting: once its transaction has committed, only its
    // flush is pending, so the next group may commit at once and share that flush or the next. Otherwise
    // the next group waits for this one's flush, and grows meanwhile: fewer, larger transactions under a
    // steady stream of single reports. Never before the commit: on PostgreSQL the call returns before its
    // transaction has even begun, and groups started at once would race for the same deployment rows,
    // commit in any order (the one holding another tenant's report behind floods taken after it) and each
    // hold one of the pool's connections while it waits for those rows.
    const handOver = queues.size > 0
    let released = false
    const release = () => {
      if (released) return
      released = true
      committing = false
      if (queues.size > 0) schedule()
    }
    try {
      // SQLite runs the transaction inside the call; PostgreSQL resolves it at COMMIT.
      const written = await writeGroup(group.map((p) => p.input))
      if (handOver) release()
      const outcomes = await settle(written)
      outcomes.forEach((outcome, i) => (outcome.ok ? group[i]!.resolve(outcome.results) : group[i]!.reject(outcome.error)))
    } catch (error) {
      // The whole transaction failed (disk full, locked): nothing of the group was stored.
      for (const p of group) p.reject(error)
    } finally {
      release()
    }
  }

  function schedule() {
    if (scheduled) return
    scheduled = true
    // A turn of the event loop first, so that reports arriving together commit together.
    setImmediate(commitNextGroup)
  }

  return {
    /** Stores the input's events with the next group; resolves with their results once durable. */
    submit(input: RecordEventsInput): Promise<RecordEventResult[]> {
      // Sized here, where a bad input can only reject its own promise, never the group's commit.
      return new Promise((resolve, reject) => {
        const pending = { input, size: payloadSize(input), resolve, reject }
        const queue = queues.get(input.userId)
        if (queue) queue.push(pending)
        else queues.set(input.userId, [pending])
        schedule()
      })
    },
    /**
     * Stores these inputs in one transaction now, outside the queue (the replay's tick, which has gathered
     * its own group): each input's outcome once durable; rejects when the whole transaction failed.
     */
    async storeGroup(inputs: readonly RecordEventsInput[]): Promise<GroupOutcome[]> {
      return settle(await writeGroup(inputs))
    },
    /** The checks a report must pass before its body is read (docs/api.md §0 order): NOT_FOUND, FORBIDDEN, CONFLICT. */
    async checkReportable(userId: string, deploymentId: string, reporter: Reporter) {
      requireReportable(await store.getReportTarget(userId, deploymentId), reporter)
    },
    /**
     * Publishes a deployment change made outside event groups (creation, cancel, dispatch): the store's
     * `onDurable` for those writes, so that it comes in commit order with the groups' news.
     */
    changed(change: DeploymentChange) {
      bus.publishChange(change.deployment.userId, change)
      const { deployment } = change
      countsMoved.delete(deployment.id)
      bus.publishDeployment({
        userId: deployment.userId,
        deploymentId: deployment.id,
        // Counted in the same transaction: every event stored before the change.
        items: [{ kind: 'status', afterArrival: deployment.eventCount, status: deployment.status, startedAt: deployment.startedAt, completedAt: deployment.completedAt }],
      })
    },
    /** Stops the count timer, recording the counts that moved since its last tick first. */
    async stop() {
      stopped = true
      clearTimeout(countTimer)
      countTimer = undefined
      if (countsMoved.size) await publishCounts()
    },
  }
}
