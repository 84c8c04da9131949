// The event rules of docs/api.md §3.1 as the fuzz suite reads them, and a model of one deployment's stored
// events: which report is new (201, "created"), which is a retry (200 with the first id, "duplicate"), and
// what the event list must hold afterwards.
import { expect } from 'bun:test'
import { parseTimestamp } from '../../src/domain/time'
import { canon, parseExact } from './canonical'
import { PAYLOAD_MAX, isBadText, isObject, v400, type Alt } from './oracle'

const TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/

/** What identifies a stored event (docs/api.md §3.1): payload as canonical JSON, instant in microseconds. */
export type Facts = { type: string; instant: number; jobId: string | null; stepId: string | null; payload: string }

/** The size of a payload once serialised is open to reading (as sent or as re-written): a range. */
function payloadSize(payload: Record<string, unknown>): { low: number; high: number } {
  const low = Buffer.byteLength(JSON.stringify(payload))
  let slack = 0
  const walk = (v: unknown) => {
    if (typeof v === 'string') slack += 5 * v.length
    else if (typeof v === 'number') slack += 500
    else if (Array.isArray(v)) v.forEach(walk)
    else if (isObject(v))
      for (const k of Object.keys(v)) {
        slack += 5 * k.length
        walk(v[k])
      }
  }
  walk(payload)
  return { low, high: low + slack }
}

/**
 * One event's refusals (fields prefixed, `events[2].` in a batch) and whether its payload is over 64 KiB:
 * 'yes', 'no', or 'maybe' when that depends on how the size is read.
 */
export function eventRefusals(v: unknown, prefix = ''): { refusals: Alt[]; large: 'yes' | 'no' | 'maybe' } {
  const whole = prefix ? prefix.slice(0, -1) : 'body'
  if (!isObject(v)) return { refusals: [v400(whole)], large: 'no' }
  const refusals: Alt[] = []
  let large: 'yes' | 'no' | 'maybe' = 'no'
  const payload = Object.hasOwn(v, 'payload') ? v.payload : undefined
  if (payload !== undefined && payload !== null && !isObject(payload)) refusals.push(v400(`${prefix}payload`))
  if (isObject(payload)) {
    const { low, high } = payloadSize(payload)
    large = low > PAYLOAD_MAX ? 'yes' : high > PAYLOAD_MAX ? 'maybe' : 'no'
  }
  const type = Object.hasOwn(v, 'type') ? v.type : undefined
  if (typeof type !== 'string' || type.length > 64 || !TYPE.test(type)) refusals.push(v400(`${prefix}type`))
  const ts = Object.hasOwn(v, 'timestamp') ? v.timestamp : undefined
  if (typeof ts !== 'string' || parseTimestamp(ts) === null) refusals.push(v400(`${prefix}timestamp`))
  for (const name of ['job_id', 'step_id']) {
    const id = Object.hasOwn(v, name) ? v[name] : undefined
    if (id === undefined || id === null) continue
    if (typeof id !== 'string' || id.length > 128 || isBadText(id)) refusals.push(v400(`${prefix}${name}`))
  }
  return { refusals, large }
}

/** The alternatives for one event: its 413 outranks its 400s (docs/api.md §0 order); `accept` when it is good. */
export function eventAlts(v: unknown, accept: Alt, prefix = ''): Alt[] {
  const { refusals, large } = eventRefusals(v, prefix)
  const tooLarge: Alt = { status: 413, code: 'PAYLOAD_TOO_LARGE' }
  if (large === 'yes') return [tooLarge]
  if (large === 'maybe') return [tooLarge, ...(refusals.length ? refusals : [accept])]
  return refusals.length ? refusals : [accept]
}

/** The facts of an event the rules accept, from the exactly parsed body (numbers kept: canonical.ts). */
export function factsOf(exact: unknown): Facts | null {
  if (!isObject(exact) || typeof exact.type !== 'string' || typeof exact.timestamp !== 'string') return null
  const instant = parseTimestamp(exact.timestamp)
  if (instant === null) return null
  const id = (x: unknown) => (typeof x === 'string' ? x : null)
  const payload = Object.hasOwn(exact, 'payload') && exact.payload !== null ? exact.payload : {}
  return { type: exact.type, instant, jobId: id(exact.job_id), stepId: id(exact.step_id), payload: canon(payload) }
}

type Stored = Facts & { id: string; key: string | null; arrival: number }

/** One deployment's events as the contract says they are stored. */
export class EventModel {
  readonly stored: Stored[] = []

  /** The stored event a report is a retry of: by Idempotency-Key when it has one, else by content. */
  find(facts: Facts, key: string | null): Stored | undefined {
    if (key !== null) return this.stored.find((s) => s.key === key)
    return this.stored.find(
      (s) => s.key === null && s.type === facts.type && s.instant === facts.instant && s.jobId === facts.jobId && s.stepId === facts.stepId && s.payload === facts.payload,
    )
  }

  /** Records what an accepted report did, checking it against the model: 201 new, or 200 with the first id. */
  accept(facts: Facts, key: string | null, id: string, created: boolean, what: string) {
    const earlier = this.find(facts, key)
    if (earlier) {
      expect(created, `${what}: a retry of ${earlier.id} must not be stored again`).toBe(false)
      expect(id, `${what}: a retry answers the first id`).toBe(earlier.id)
    } else {
      expect(created, `${what}: a new event must be created`).toBe(true)
      expect(this.stored.some((s) => s.id === id), `${what}: a new event gets a new id`).toBe(false)
      this.stored.push({ ...facts, id, key, arrival: this.stored.length })
    }
  }

  /** The event list (docs/api.md §3.2): chronological, ties in arrival order, each field as sent. */
  expectList(text: string, what: string) {
    const page = parseExact(text) as { events: Array<Record<string, unknown>>; total: unknown }
    const want = [...this.stored].sort((a, b) => a.instant - b.instant || a.arrival - b.arrival)
    expect(canon(page.total), what).toBe(canon(parseExact(String(want.length))))
    expect(page.events.map((e) => e.id), `${what}: ids in order`).toEqual(want.map((s) => s.id))
    page.events.forEach((e, i) => {
      const s = want[i]!
      const where = `${what}: ${s.id}`
      expect(e.event_type, where).toBe(s.type)
      expect(e.job_id, where).toBe(s.jobId)
      expect(e.step_id, where).toBe(s.stepId)
      expect(parseTimestamp(e.event_timestamp as string), where).toBe(s.instant)
      expect(canon(e.payload), `${where}: payload read back as sent`).toBe(s.payload)
    })
  }
}
