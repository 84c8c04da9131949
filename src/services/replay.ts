// The simulated replay (docs/api.md §5): one scheduler for every simulated deployment, with one timer armed
// for the earliest due event and a min-heap of each replay's next due time, so hundreds of replays cost
// no busy loop and no timer per event. Events go through the reports service like agents' reports
// (src/services/reports.ts); each tick commits every due event of every due replay in one transaction,
// cursor included, so a restart resumes exactly where the last commit left off.
// Nothing here may throw out of the scheduler: a plan that cannot be played, or an input that fails
// unexpectedly, fails its own deployment with a stored reason (services/failures.ts), and the rest go on.
import { AppError } from '../domain/errors'
import { REPLAY_LEASE_MICROS } from '../domain/deployment'
import { parseStoredPlan, playOrder, replayDueAt, toReplayEvent, type PlanEvent } from '../domain/plan'
import type { Clock } from '../domain/time'
import { errorDetail, type Logger } from '../log'
import type { RecordEventsInput, ReplayState, Store } from '../store/types'
import { describeError, type FailureReason, type Failures } from './failures'
import { MinHeap } from './min-heap'
import type { Reports } from './reports'

/** Several nodes: the leases (src/domain/deployment.ts REPLAY_LEASE_MICROS) are renewed every third of their length. */
const LEASE_RENEW_MS = REPLAY_LEASE_MICROS / 3000

/** Replays handled in one transaction; more wait for the next turn of the event loop. */
const MAX_REPLAYS_PER_TICK = 500
const RETRY_AFTER_FAILURE_MICROS = 1_000_000

type Replay = { id: string; userId: string; startedAt: number; speed: number; cursor: number; events: PlanEvent[] }

export type ReplayScheduler = ReturnType<typeof createReplayScheduler>

export function createReplayScheduler({ store, clock, log, failures, reports }: { store: Store; clock: Clock; log: Logger; failures: Failures; reports: Reports }) {
  const queue = new MinHeap<Replay>()
  const active = new Map<string, Replay>()
  const planCache = new Map<string, PlanEvent[]>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let armedFor = Number.POSITIVE_INFINITY
  let ticking = false
  let stopped = false
  let renewal: ReturnType<typeof setInterval> | undefined

  const dueOf = (r: Replay, index = r.cursor) =>
    index < r.events.length ? replayDueAt(r.events[index]!, r.startedAt, r.speed) : Number.NEGATIVE_INFINITY

  /** Parses a plan's stored data into events in play order, once per plan; throws when it cannot be played. */
  function cacheEvents(planId: string, planData: string): PlanEvent[] {
    const events = playOrder(parseStoredPlan(planData))
    if (planCache.size >= 1000) planCache.delete(planCache.keys().next().value!)
    planCache.set(planId, events)
    return events
  }

  async function add(state: ReplayState, planData?: string) {
    if (!state.replayActive || state.startedAt === null || active.has(state.id)) return
    let events = planCache.get(state.planId)
    if (!events) {
      const data = planData ?? (await store.getPlan(state.userId, state.planId))?.planData
      if (data === undefined) return
      try {
        events = cacheEvents(state.planId, data)
      } catch (error) {
        await fail(state, state.replayCursor, `its plan cannot be played: ${describeError(error)}`, 'plan_invalid')
        return
      }
    }
    const replay: Replay = { id: state.id, userId: state.userId, startedAt: state.startedAt, speed: state.speedMultiplier, cursor: state.replayCursor, events }
    active.set(replay.id, replay)
    queue.push(dueOf(replay), replay)
    arm()
  }

  /** Fails a replay's deployment with a stored reason; if even that cannot be stored, logs it and gives up. */
  async function fail(target: { id: string; userId: string }, cursor: number, message: string, reason: FailureReason = 'replay_failed') {
    active.delete(target.id)
    try {
      await failures.fail({ userId: target.userId, deploymentId: target.id, replayCursor: cursor }, reason, message)
    } catch (error) {
      log.error('could not store the failure of a simulated deployment', { deployment: target.id, reason, message, error: describeError(error) })
    }
  }

  /** Adds a replay without ever throwing: whatever goes wrong fails that deployment alone. */
  function addSafely(state: ReplayState, planData?: string): Promise<void> {
    return add(state, planData).catch((error: unknown) => {
      log.error('simulated replay could not start', { deployment: state.id, error: errorDetail(error) })
      return fail(state, state.replayCursor, `its replay could not start: ${describeError(error)}`)
    })
  }

  function arm() {
    const top = queue.peek()
    if (stopped || ticking || !top || (timer && top.key >= armedFor)) return
    clearTimeout(timer)
    armedFor = top.key
    const delayMs = Math.min(Math.max(0, (top.key - clock()) / 1000), 2 ** 31 - 1)
    timer = setTimeout(tick, delayMs)
  }

  async function tick() {
    timer = undefined
    armedFor = Number.POSITIVE_INFINITY
    ticking = true
    const now = clock()
    const due: Replay[] = []
    const batches: Array<ReturnType<typeof collectDue>> = []
    while (due.length < MAX_REPLAYS_PER_TICK && (queue.peek()?.key ?? Number.POSITIVE_INFINITY) <= now) {
      const { value } = queue.pop()!
      if (active.get(value.id) !== value) continue
      // A plan event that cannot be turned into an event fails its own replay, never the tick.
      try {
        batches.push(collectDue(value, now))
        due.push(value)
      } catch (error) {
        void fail(value, value.cursor, `its replay failed: ${describeError(error)}`)
      }
    }
    try {
      const outcomes = batches.length ? await reports.storeGroup(batches.map((b) => b.input)) : []
      outcomes.forEach((outcome, k) => {
        const replay = due[k]!
        if (!outcome.ok) {
          // Stored but not flushed to disk: try the same events again shortly (their keys make it safe).
          if (outcome.error instanceof AppError && outcome.error.code === 'UNAVAILABLE') {
            queue.push(now + RETRY_AFTER_FAILURE_MICROS, replay)
            return
          }
          // Cancelled (or gone) since it was scheduled: the replay stops here.
          if (outcome.error instanceof AppError) {
            active.delete(replay.id)
            return
          }
          // Something unexpected, for this replay alone: it cannot go on, and its deployment says why.
          log.error('simulated replay failed', { deployment: replay.id, error: errorDetail(outcome.error) })
          void fail(replay, replay.cursor, `its replay failed: ${describeError(outcome.error)}`)
          return
        }
        replay.cursor = batches[k]!.next
        if (replay.cursor >= replay.events.length) active.delete(replay.id)
        else queue.push(dueOf(replay), replay)
      })
    } catch (error) {
      // Nothing was committed (storage unavailable): try the same events again shortly.
      log.error('simulated replay could not store events; retrying', { error: String(error), replays: due.length })
      for (const replay of due) queue.push(now + RETRY_AFTER_FAILURE_MICROS, replay)
    } finally {
      ticking = false
      arm()
    }
  }

  /**
   * Renews this node's replay leases and takes over those whose node stopped renewing (several nodes):
   * a replay now leased to another node (this one was stalled past its lease) is dropped here, so that
   * only one node plays it; one newly taken resumes from its stored cursor.
   */
  async function renewLeases() {
    if (stopped) return
    const now = clock()
    // Only these may be dropped below: one created while the renewal runs is not in its answer, yet this node's.
    const before = new Set(active.keys())
    let held: ReplayState[]
    try {
      held = await store.leaseReplays(now, now + REPLAY_LEASE_MICROS)
    } catch (error) {
      // The database does not answer: nothing is renewed, and nothing can be stored meanwhile either.
      log.warn('could not renew the replay leases; trying again', { error: describeError(error) })
      return
    }
    const ids = new Set(held.map((state) => state.id))
    for (const id of before) if (!ids.has(id)) active.delete(id)
    for (const state of held) if (!active.has(state.id)) await addSafely(state)
  }

  function collectDue(r: Replay, now: number): { input: RecordEventsInput; next: number } {
    const events: RecordEventsInput['events'] = []
    let next = r.cursor
    while (next < r.events.length && dueOf(r, next) <= now) {
      // The plan index is the idempotency key: a replayed event can never be stored twice.
      const event = toReplayEvent(r.events[next]!, r.startedAt, r.id)
      events.push({ event, key: `replay:${next}` })
      next++
    }
    return {
      input: { userId: r.userId, deploymentId: r.id, reporter: { kind: 'replay' }, events, now, replay: { cursor: next, finished: next >= r.events.length } },
      next,
    }
  }

  return {
    /** Plays a simulated deployment just created (already started), given its plan's stored data. */
    track(state: ReplayState, planData: string) {
      void addSafely(state, planData)
    },
    /**
     * At server start: picks up every replay that had not ended, including events due while it was down.
     * Never throws for a bad stored replay: that deployment fails with its reason, and the rest resume.
     */
    async resume() {
      if (store.schema.backend === 'sqlite') {
        for (const state of await store.listActiveReplays()) await addSafely(state)
        return
      }
      await renewLeases()
      renewal = setInterval(() => void renewLeases(), LEASE_RENEW_MS)
      renewal.unref?.()
    },
    /** Stops a replay (its deployment was cancelled). */
    forget(deploymentId: string) {
      active.delete(deploymentId)
    },
    get activeCount() {
      return active.size
    },
    stop() {
      stopped = true
      clearTimeout(timer)
      clearInterval(renewal)
    },
  }
}
