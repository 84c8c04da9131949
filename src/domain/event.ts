// The rules of a reported event (api.md §3.1): its fields, their limits, and the identity used to
// recognise a retry of an event already stored. Pure.
import { AppError, invalid } from './errors'
import { parseTimestamp } from './time'

export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/
export const EVENT_TYPE_MAX = 64
export const EVENT_ID_FIELD_MAX = 128
export const PAYLOAD_MAX_BYTES = 64 * 1024

export type JsonObject = Record<string, unknown>

/** An event as it is stored: validated, its timestamp an instant in microseconds, its payload serialised. */
export type EventInput = {
  type: string
  timestamp: number
  jobId: string | null
  stepId: string | null
  payload: JsonObject
  /** The payload as JSON text, exactly as stored. */
  payloadJson: string
}

export const isPlainObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

export function isEventType(value: unknown): value is string {
  return typeof value === 'string' && value.length <= EVENT_TYPE_MAX && EVENT_TYPE_PATTERN.test(value)
}

/**
 * Validates one event body. `field` prefixes error messages (`events[3].` in a batch). Throws VALIDATION
 * naming the offending field, or PAYLOAD_TOO_LARGE for a payload over 64 KiB once serialised.
 */
export function parseEventInput(body: unknown, field = ''): EventInput {
  if (!isPlainObject(body)) throw invalid(field ? field.slice(0, -1) : 'body', 'must be a JSON object')
  const { type, timestamp, job_id: jobId, step_id: stepId, payload } = body
  if (type === undefined) throw invalid(`${field}type`, 'is required')
  if (!isEventType(type))
    throw invalid(`${field}type`, `must be a dotted lowercase name like "job.accepted", at most ${EVENT_TYPE_MAX} characters`)
  if (timestamp === undefined) throw invalid(`${field}timestamp`, 'is required')
  const instant = typeof timestamp === 'string' ? parseTimestamp(timestamp) : null
  if (instant === null)
    throw invalid(`${field}timestamp`, 'must be an RFC 3339 timestamp with an offset, e.g. "2026-03-07T12:00:00Z"')
  checkOptionalId(jobId, `${field}job_id`)
  checkOptionalId(stepId, `${field}step_id`)
  if (payload !== undefined && payload !== null && !isPlainObject(payload))
    throw invalid(`${field}payload`, 'must be a JSON object or null')
  const object = (payload ?? {}) as JsonObject
  const payloadJson = JSON.stringify(object)
  // Byte length, not UTF-16 length, counts; a UTF-16 unit is at most 3 bytes, so short text needs no count.
  if (payloadJson.length * 3 > PAYLOAD_MAX_BYTES && Buffer.byteLength(payloadJson) > PAYLOAD_MAX_BYTES)
    throw new AppError('PAYLOAD_TOO_LARGE', `${field}payload: must be at most 64 KiB serialised`)
  return {
    type,
    timestamp: instant,
    jobId: (jobId as string | null | undefined) ?? null,
    stepId: (stepId as string | null | undefined) ?? null,
    payload: object,
    payloadJson,
  }
}

function checkOptionalId(value: unknown, field: string) {
  if (value === undefined || value === null) return
  if (typeof value !== 'string') throw invalid(field, 'must be a string or null')
  if (value.length > EVENT_ID_FIELD_MAX) throw invalid(field, `must be at most ${EVENT_ID_FIELD_MAX} characters`)
}

/** JSON with object keys sorted at every depth, so `{"a":1,"b":2}` and `{"b":2,"a":1}` read the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * The identity of a reported event within its deployment (api.md §3.1): type, instant, job and step, and
 * the payload as canonical JSON. Numbers were parsed, so `72000.0` and `72000` are already the same. With an
 * Idempotency-Key header, the key alone is the identity.
 */
export function eventIdentity(input: EventInput, idempotencyKey?: string | null): string {
  if (idempotencyKey) return `k:${idempotencyKey}`
  const canonical = canonicalJson([input.type, input.timestamp, input.jobId, input.stepId, input.payload])
  return `h:${new Bun.CryptoHasher('sha256').update(canonical).digest('base64url')}`
}
