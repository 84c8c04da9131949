// The use case of storing reported events (docs/api.md §2.1, §3.1, §3.4), for one group of inputs inside one
// transaction: check each input against its deployment, store its events unless they retry stored ones,
// move the deployment as they arrive, and note what a live stream must be told. The store does the SQL
// (EventGroupWrites); the rules come from src/domain/deployment.ts. Every check of an input precedes
// every write of it, so a refused input leaves nothing behind.
import { decideReportAccess, decideTransition, triggerForEventType, type Transition } from '../domain/deployment'
import { AppError, notFound } from '../domain/errors'
import type { DeploymentChange, EventGroupWrites, GroupOutcome, RecordEventResult, RecordEventsInput, Reporter, ReportState, ReportTarget, StatusCause } from '../store/types'
import type { DeploymentNews } from './bus'

/** An unexpected error from one input of a group, carried out of the transaction to roll it back. */
export class InputFailure {
  constructor(
    readonly index: number,
    readonly error: unknown,
  ) {}
}

/** What one group's transaction did: each input's outcome, and the news to publish once it is durable. */
export type GroupRecord = { outcomes: GroupOutcome[]; news: DeploymentNews[]; changes: DeploymentChange[] }

/**
 * Records the inputs in order. An input refused by its checks (404/403/409) gets its error; one whose
 * handling throws anything else throws InputFailure, so that the caller rolls the transaction back and
 * runs the group again with that input in `failed`; a storage failure throws as it is (the group fails).
 */
export function recordGroup(writes: EventGroupWrites, inputs: readonly RecordEventsInput[], failed: ReadonlyMap<number, unknown>): GroupRecord {
  const news = new Map<ReportTarget, DeploymentNews>()
  const moved = new Set<ReportTarget>()
  const outcomes = inputs.map((input, i): GroupOutcome => {
    if (failed.has(i)) return { ok: false, error: failed.get(i) }
    try {
      return { ok: true, results: recordInput(writes, input, news, moved) }
    } catch (error) {
      if (error instanceof AppError) return { ok: false, error }
      if (writes.isStorageFailure(error)) throw error
      throw new InputFailure(i, error)
    }
  })
  // Each deployment whose status moved takes its owner's next change number once, in its final state.
  const changes = [...moved].map((target) => writes.markChanged(target))
  return { outcomes, news: [...news.values()].filter((n) => n.items.length > 0), changes }
}

/**
 * The checks a report must pass (docs/api.md §3.1): NOT_FOUND for an unknown (or another user's) deployment,
 * else the reporter's refusal (FORBIDDEN, CONFLICT). Made before the body is read, and again in the group.
 */
export function requireReportable<T extends ReportState>(target: T | null, reporter: Reporter): T {
  if (!target) throw notFound('deployment')
  const refusal = decideReportAccess(target, reporter)
  if (refusal) throw refusal
  return target
}

function recordInput(writes: EventGroupWrites, input: RecordEventsInput, news: Map<ReportTarget, DeploymentNews>, moved: Set<ReportTarget>): RecordEventResult[] {
  const { now } = input
  const target = requireReportable(writes.target(input.userId, input.deploymentId), input.reporter)
  let told = news.get(target)
  if (!told) news.set(target, (told = { userId: target.userId, deploymentId: target.deploymentId, items: [] }))
  const items = told.items
  // A status change comes after every event stored for the deployment so far.
  const move = (transition: Transition, cause?: StatusCause) => {
    writes.setStatus(target, transition.to, transition.stamps, now, cause)
    moved.add(target)
    items.push({ kind: 'status', afterArrival: writes.lastArrival(target), status: target.status, startedAt: target.startedAt, completedAt: target.completedAt })
  }

  const results: RecordEventResult[] = []
  for (const { event, key, staged } of input.events) {
    const result = writes.append(target, event, key, now, staged ?? null)
    results.push(result)
    if (!result.created) continue
    items.push({
      kind: 'event',
      event: { id: result.id, eventType: event.type, eventTimestamp: event.timestamp, jobId: event.jobId, stepId: event.stepId, payload: event.payloadJson, createdAt: now, arrival: result.arrival! },
    })
    const trigger = triggerForEventType(event.type)
    const transition = trigger && decideTransition(target, trigger)
    if (transition) move(transition, { eventId: result.id, eventType: event.type, payload: event.payload })
  }
  if (input.replay) {
    writes.setReplayCursor(target, input.replay.cursor, input.replay.finished)
    const end = input.replay.finished && decideTransition(target, 'replay_end')
    if (end) move(end)
  }
  return results
}
