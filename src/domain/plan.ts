// A plan's data (api.md §5): the planner's output, whose `events` array holds flat events
// `{type, timestamp_s, step_id?, message?, …}` (reference §4.2). Pure.
import { invalid } from './errors'
import { EVENT_TYPE_MAX, isEventType, isPlainObject, type JsonObject } from './event'

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
    if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) throw invalid(`${field}.timestamp_s`, 'must be a number ≥ 0')
    if (event.step_id !== undefined && event.step_id !== null && typeof event.step_id !== 'string')
      throw invalid(`${field}.step_id`, 'must be a string or null')
  })
  return events as PlanEvent[]
}
