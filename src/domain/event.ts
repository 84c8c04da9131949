// The rules of a reported event (docs/api.md §3.1): its fields, their limits, and the identity used to
// recognise a retry of an event already stored. Pure.
import { AppError, invalid } from './errors'
import { isRawJson, parseJsonExact } from './json'
import { requireCleanText } from './text'
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
  /** The payload's canonical JSON (canonicalPayloadOf): its identity, computed once, before any transaction. */
  canonical: string
}

/** An event from its fields: the payload serialised and canonicalised once. */
export function makeEventInput(fields: Omit<EventInput, 'payloadJson' | 'canonical'>): EventInput {
  const payloadJson = JSON.stringify(fields.payload)
  return { ...fields, payloadJson, canonical: canonicalPayloadOf({ payload: fields.payload, payloadJson }) }
}

/** A JSON object: not an array, not null, and not a number kept as exact text (src/domain/json.ts). */
export const isPlainObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !isRawJson(value)

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
  // The payload first: its 413 outranks every 400 of the body (docs/api.md §0 order).
  if (payload !== undefined && payload !== null && !isPlainObject(payload))
    throw invalid(`${field}payload`, 'must be a JSON object or null')
  const object = (payload ?? {}) as JsonObject
  const payloadJson = JSON.stringify(object)
  // Byte length, not UTF-16 length, counts. (A `length * 3` shortcut saved 25-35 ns an event: test/bench/micro/bytes.ts.)
  if (Buffer.byteLength(payloadJson) > PAYLOAD_MAX_BYTES)
    throw new AppError('PAYLOAD_TOO_LARGE', `${field}payload: must be at most 64 KiB serialised`)
  if (type === undefined) throw invalid(`${field}type`, 'is required')
  if (!isEventType(type))
    throw invalid(`${field}type`, `must be a dotted lowercase name like "job.accepted", at most ${EVENT_TYPE_MAX} characters`)
  if (timestamp === undefined) throw invalid(`${field}timestamp`, 'is required')
  const instant = typeof timestamp === 'string' ? parseTimestamp(timestamp) : null
  if (instant === null)
    throw invalid(`${field}timestamp`, 'must be an RFC 3339 timestamp with an offset between years 0000 and 2255, e.g. "2026-03-07T12:00:00Z"')
  checkOptionalId(jobId, `${field}job_id`)
  checkOptionalId(stepId, `${field}step_id`)
  return {
    type,
    timestamp: instant,
    jobId: (jobId as string | null | undefined) ?? null,
    stepId: (stepId as string | null | undefined) ?? null,
    payload: object,
    payloadJson,
    canonical: canonicalPayloadOf({ payload: object, payloadJson }),
  }
}

function checkOptionalId(value: unknown, field: string) {
  if (value === undefined || value === null) return
  if (typeof value !== 'string') throw invalid(field, 'must be a string or null')
  if (value.length > EVENT_ID_FIELD_MAX) throw invalid(field, `must be at most ${EVENT_ID_FIELD_MAX} characters`)
  requireCleanText(value, field)
}

/** JSON with object keys sorted at every depth, so `{"a":1,"b":2}` and `{"b":2,"a":1}` read the same. */
export function canonicalJson(value: unknown): string {
  const flat = isPlainObject(value) && flatKeyOrder(value)
  // Measured 6-7× canonicalByHand on a flat sorted payload (200-290 ns against 1.4-2 µs): test/bench/micro/canonical.ts.
  if (flat === 'sorted') return JSON.stringify(value)
  if (flat === 'unsorted') {
    // A copy built in sorted key order serialises in that order (integer-like keys aside: JSON.stringify
    // writes those first, in numeric order). Measured 1.8-2.3× canonicalByHand: test/bench/micro/canonical.ts.
    const sorted: JsonObject = {}
    for (const key of Object.keys(value as JsonObject).sort()) sorted[key] = (value as JsonObject)[key]
    return JSON.stringify(sorted)
  }
  // JSON.stringify writes an object's properties in the order of a replacer array, at every depth; given
  // every key sorted, the native serialiser does the canonical work. Measured 0.86-1.42× canonicalByHand on
  // nested payloads, 1.24× the median of ten runs: test/bench/micro/canonical.ts.
  const keys = new Set<string>()
  collectKeys(value, keys)
  // …except that a replacer naming "__proto__" would read every object's prototype: build those by hand.
  if (keys.has('__proto__')) return canonicalByHand(value)
  return JSON.stringify(value, [...keys].sort())
}

/** For an object of scalars only (most payloads): whether its keys already come sorted; null otherwise. */
function flatKeyOrder(object: JsonObject): 'sorted' | 'unsorted' | null {
  let previous: string | null = null
  let sorted = true
  for (const key in object) {
    const value = object[key]
    if ((typeof value === 'object' && value !== null && !isRawJson(value)) || key === '__proto__') return null
    if (previous !== null && key < previous) sorted = false
    previous = key
  }
  return sorted ? 'sorted' : 'unsorted'
}

function canonicalByHand(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalByHand).join(',')}]`
  if (isPlainObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalByHand(value[k])}`).join(',')}}`
  return JSON.stringify(value)
}

function collectKeys(value: unknown, keys: Set<string>) {
  if (Array.isArray(value)) for (const item of value) collectKeys(item, keys)
  else if (isPlainObject(value))
    for (const key in value) {
      keys.add(key)
      collectKeys(value[key], keys)
    }
}

/**
 * The canonical JSON of an event's payload: what a retry must repeat. A flat payload whose keys come sorted
 * (most) is its own canonical form (measured 3× canonicalJson: test/bench/micro/canonical.ts). Stored
 * digests depend on this function: it must never change its output.
 */
export function canonicalPayloadOf(event: Pick<EventInput, 'payload' | 'payloadJson'>): string {
  return isPlainObject(event.payload) && flatKeyOrder(event.payload) === 'sorted' ? event.payloadJson : canonicalJson(event.payload)
}

/**
 * A keyed 53-bit hash of a keyless event's identity (docs/api.md §3.1: type, job, step, canonical payload), stored
 * with the event so that a retry is found by one index lookup however many events share its instant. Keyed
 * by a secret of the database, so nobody can make many different events share one digest; a digest match
 * is still compared field by field (isRetryOf), so a collision never merges two events.
 */
export function contentDigest(identity: { type: string; jobId: string | null; stepId: string | null }, canonicalPayload: string, secret: number): number {
  const hash = Bun.hash.wyhash(`${JSON.stringify([identity.type, identity.jobId, identity.stepId])}${canonicalPayload}`, BigInt(secret))
  return Number(hash >> 11n)
}

/** What a stored event is compared on, to tell whether a report is a retry of it. */
export type EventContent = { type: string; jobId: string | null; stepId: string | null; payloadJson: string }

/** A payload's canonical JSON, from its stored text (numbers kept exact: src/domain/json.ts). */
export const canonicalPayload = (payloadJson: string): string => canonicalJson(parseJsonExact(payloadJson))

/**
 * Whether `input` is a retry of `stored`, an event of the same deployment at the same instant stored
 * without an Idempotency-Key (docs/api.md §3.1): same type, job and step, and the same payload as canonical JSON
 * — key order and `72000.0` vs `72000` do not matter, as numbers were parsed. With an Idempotency-Key, the
 * key alone decides, and is compared by the store. `canonical` may remember what it computed: many events
 * at one instant compare the same payloads again and again.
 */
export function isRetryOf(stored: EventContent, input: EventInput, canonical: (payloadJson: string) => string = canonicalPayload): boolean {
  if (stored.type !== input.type || stored.jobId !== input.jobId || stored.stepId !== input.stepId) return false
  if (stored.payloadJson === input.payloadJson) return true
  return canonical(stored.payloadJson) === input.canonical
}
