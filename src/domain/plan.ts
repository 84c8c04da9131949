// A plan's data (docs/api.md §5): the planner's output, whose `events` array holds flat events
// `{type, timestamp_s, step_id?, message?, …}` (reference §4.2), and how those events become the events an
// agent replays (§4) or the server's replay stores (§5). Pure.
import { AppError, invalid } from './errors'
import { EVENT_TYPE_MAX, PAYLOAD_MAX_BYTES, isEventType, isPlainObject, makeEventInput, type EventInput, type JsonObject } from './event'
import { parseJsonExact } from './json'
import { isCleanText } from './text'
import { formatTimestamp } from './time'

/** About 31 years: any real plan fits, and start + offset stays a representable instant. */
export const PLAN_SPAN_MAX_S = 1_000_000_000

export type PlanEvent = JsonObject & { type: string; timestamp_s: number; step_id?: string | null }

/** Checks plan_data and returns its events; throws VALIDATION naming e.g. `plan_data.events[3].type`. */
export function parsePlanData(planData: unknown): PlanEvent[] {
  if (!isPlainObject(planData)) throw invalid('plan_data', 'must be a JSON object')
  const { events } = planData
  if (!Array.isArray(events) || events.length === 0) throw invalid('plan_data.events', 'must be a non-empty array')
  events.forEach((event: unknown, i) => {
    const field = `plan_data.events[${i}]`
    if (!isPlainObject(event)) throw invalid(field, 'must be an object')
    if (!isEventType(event.type))
      throw invalid(`${field}.type`, `must be a dotted lowercase name like "job.accepted", at most ${EVENT_TYPE_MAX} characters`)
    const at = event.timestamp_s
    if (typeof at !== 'number' || !Number.isFinite(at) || at < 0 || at > PLAN_SPAN_MAX_S)
      throw invalid(`${field}.timestamp_s`, `must be a number from 0 to ${PLAN_SPAN_MAX_S} (seconds from the plan's start)`)
    if (event.step_id !== undefined && event.step_id !== null && (typeof event.step_id !== 'string' || event.step_id.length > 128 || !isCleanText(event.step_id)))
      throw invalid(`${field}.step_id`, 'must be a string of at most 128 characters (no lone surrogates or U+0000), or null')
    // The event's payload will have to pass the same 64 KiB rule as a reported one.
    if (Buffer.byteLength(JSON.stringify(payloadOf(event as PlanEvent))) > PAYLOAD_MAX_BYTES)
      throw new AppError('PAYLOAD_TOO_LARGE', `${field}: its payload would be over 64 KiB`)
  })
  return events as PlanEvent[]
}

/**
 * A stored plan's events, checked again by today's rules: a plan stored by an older version may break
 * them (nesting past the depth limit, say). Throws when it cannot be played; callers fail the deployment.
 */
export function parseStoredPlan(planData: string): PlanEvent[] {
  return parsePlanData(parseJsonExact(planData))
}

/** The plan's events in play order: by timestamp_s, ties kept in their plan order. */
export function playOrder(events: PlanEvent[]): PlanEvent[] {
  return events.map((event, i) => ({ event, i })).sort((a, b) => a.event.timestamp_s - b.event.timestamp_s || a.i - b.i).map((x) => x.event)
}

/** Every key of a plan event but type, timestamp_s and step_id: `message` and the type-specific ones. */
export function payloadOf(event: PlanEvent): JsonObject {
  const { type: _type, timestamp_s: _at, step_id: _step, ...rest } = event
  return rest
}

const micros = (seconds: number) => Math.round(seconds * 1_000_000)

/** One event of a WorkloadSpec (docs/api.md §4): every field present, step_id only when the plan has one. */
export function toAgentEvent(event: PlanEvent, baseMicros: number, jobId: string) {
  return {
    type: event.type,
    timestamp: formatTimestamp(baseMicros + micros(event.timestamp_s)),
    job_id: jobId,
    ...(typeof event.step_id === 'string' ? { step_id: event.step_id } : {}),
    payload: payloadOf(event),
  }
}

/** The event the simulated replay stores for a plan event: mission time is started_at + timestamp_s. */
export function toReplayEvent(event: PlanEvent, startedAtMicros: number, jobId: string): EventInput {
  return makeEventInput({
    type: event.type,
    timestamp: startedAtMicros + micros(event.timestamp_s),
    jobId,
    stepId: typeof event.step_id === 'string' ? event.step_id : null,
    payload: payloadOf(event),
  })
}

/** When the replay stores a plan event: `timestamp_s / speed_multiplier` seconds of wall time after the start. */
export const replayDueAt = (event: PlanEvent, startedAtMicros: number, speedMultiplier: number) =>
  startedAtMicros + micros(event.timestamp_s / speedMultiplier)
