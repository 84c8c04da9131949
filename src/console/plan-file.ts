// An uploaded plan file, read as the API will judge it, with every refusal in words (docs/console.md
// "Missions and plans"): not UTF-8, not JSON (with the line and column where it breaks), not an object,
// no `events` array. The events themselves are judged by the API (POST /api/plans), whose message —
// `plan_data.events[3].timestamp_s: must be…` — planError() puts in the file's terms. Pure.
import { isPlainObject } from '../domain/event'
import { isRawJson, JsonLimitError, MAX_DEPTH, parseJsonExact } from '../domain/json'
import { findJsonProblem } from './json-problem'

export type PlanFileResult = { ok: true; planData: Record<string, unknown> } | { ok: false; message: string }

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** What a JSON value is, in words: `an array`, `a string`, `the value null`. */
export function kindOf(value: unknown): string {
  if (value === null) return 'the value null'
  if (Array.isArray(value)) return 'an array'
  if (isRawJson(value) || typeof value === 'number') return 'a number'
  if (typeof value === 'boolean') return `the value ${value}`
  if (typeof value === 'string') return 'a string'
  return 'an object'
}

/**
 * The plan data in a file's bytes, or why it is not one. Numbers a double cannot hold are kept exact
 * (src/domain/json.ts), so the API stores the file's numbers digit for digit. The file is the value of
 * `plan_data`, one level below the request's root, so it may nest one level less than a request.
 */
export function readPlanFile(bytes: Uint8Array): PlanFileResult {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return { ok: false, message: 'The file is not UTF-8 text. A plan file is JSON, as the planner writes it.' }
  }
  if (text.trim() === '') return { ok: false, message: 'The file is empty. A plan file is a JSON object with an "events" array.' }
  let value: unknown
  try {
    value = parseJsonExact(text, MAX_DEPTH - 1)
  } catch (error) {
    if (error instanceof JsonLimitError) {
      const where = error.field === 'body' ? '' : ` (in its "${error.field}" field)`
      const rule = error.rule.startsWith('is nested deeper')
        ? `is nested deeper than ${MAX_DEPTH - 1} levels${where}: the API accepts at most ${MAX_DEPTH} levels, counting the request around the plan`
        : `${error.rule}${where}`
      return { ok: false, message: `The file ${rule}.` }
    }
    const problem = findJsonProblem(text)
    const detail = problem ? `line ${problem.line}, column ${problem.column}: ${problem.message}` : (error as Error).message
    return { ok: false, message: `The file is not valid JSON — ${detail}.` }
  }
  if (!isPlainObject(value))
    return { ok: false, message: `The file holds ${kindOf(value)}, not a JSON object. A plan file is an object with an "events" array: {"events": [{"type": "job.accepted", "timestamp_s": 0}, …]}.` }
  if (!Object.hasOwn(value, 'events'))
    return { ok: false, message: 'The file has no "events" field. A plan file is an object whose "events" array lists the plan\'s events: {"events": [{"type": "job.accepted", "timestamp_s": 0}, …]}.' }
  const events = value.events
  if (!Array.isArray(events)) return { ok: false, message: `The file's "events" is ${kindOf(events)}, not an array of events.` }
  if (events.length === 0) return { ok: false, message: 'The file\'s "events" array is empty: a plan needs at least one event.' }
  return { ok: true, planData: value }
}

const EVENT_ERROR = /^plan_data\.events\[(\d+)\](?:\.([A-Za-z_][A-Za-z0-9_]*))?: (.*)$/s

/**
 * The API's refusal of a plan's data in the file's terms: `plan_data.events[3].type: must be…` →
 * `Event 4 of the plan (events[3]): its "type" must be…`; other messages are kept as they are.
 */
export function planError(message: string): string {
  const m = EVENT_ERROR.exec(message)
  if (m) {
    const [, index, field, rule] = m
    const which = `Event ${Number(index) + 1} of the plan (events[${index}])`
    return field ? `${which}: its "${field}" ${rule}` : `${which}: ${rule}`
  }
  if (message.startsWith('plan_data.')) return `In the plan's ${message.slice('plan_data.'.length)}`
  if (message.startsWith('plan_data: ')) return `The plan ${message.slice('plan_data: '.length)}`
  return message
}

/** Text of a plan's own descriptive object: `preset.name`, `satellite.id` (planner output, reference §4.2). */
function textAt(planData: Record<string, unknown>, key: string, field: string): string | undefined {
  const holder = planData[key]
  if (typeof holder === 'string' && field === 'id') return holder
  if (!isPlainObject(holder)) return undefined
  const value = holder[field]
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}

/**
 * What a plan says of itself, for the form fields left empty: the planner's output names its preset
 * (`preset.id`, `preset.name`) and its satellite (`satellite.id`, `satellite.name`).
 */
export function planDefaults(planData: Record<string, unknown>): { label?: string; satellite_id?: string; satellite_name?: string; preset?: string } {
  return {
    label: textAt(planData, 'preset', 'name') ?? textAt(planData, 'preset', 'id'),
    satellite_id: textAt(planData, 'satellite', 'id') ?? textAt(planData, 'satellite', 'norad_id'),
    satellite_name: textAt(planData, 'satellite', 'name'),
    preset: textAt(planData, 'preset', 'id'),
  }
}
