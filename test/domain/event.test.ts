import { describe, expect, test } from 'bun:test'
import { canonicalJson, isRetryOf, parseEventInput, type EventInput } from '../../src/domain/event'

/** JSON.rawJSON: a number kept as exact text, as the body parser keeps big integers (src/domain/json.ts). */
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON

const body = { type: 'step.completed', timestamp: '2026-03-07T12:00:00Z', job_id: 'j', step_id: 's', payload: { b: 72000.0, a: [1, { y: 2, x: 1 }] } }

/** A stored event as the store reads it back: its content, payload as stored text. */
const stored = (e: EventInput) => ({ type: e.type, jobId: e.jobId, stepId: e.stepId, payloadJson: e.payloadJson })

describe('event identity', () => {
  test('canonical JSON sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}')
  })

  test('key order, 72000.0 vs 72000 and the timestamp offset do not change it', () => {
    const same = parseEventInput({ ...body, timestamp: '2026-03-07T13:00:00+01:00', payload: JSON.parse('{"a":[1,{"x":1,"y":2}],"b":72000}') })
    const first = parseEventInput(body)
    expect(same.timestamp).toBe(first.timestamp)
    expect(same.payloadJson).not.toBe(first.payloadJson)
    expect(isRetryOf(stored(first), same)).toBe(true)
    expect(isRetryOf(stored(same), first)).toBe(true)
  })

  test('big integers compare digit for digit, in any notation', () => {
    const a = parseEventInput({ ...body, payload: { ns: rawJSON('1772884800123456789') } })
    const same = parseEventInput({ ...body, payload: { ns: rawJSON('1772884800123456789') } })
    const next = parseEventInput({ ...body, payload: { ns: rawJSON('1772884800123456790') } })
    expect(isRetryOf(stored(a), same)).toBe(true)
    expect(isRetryOf(stored(a), next)).toBe(false)
  })

  test.each([
    ['type', { type: 'step.started' }],
    ['job_id', { job_id: 'k' }],
    ['job_id (absent)', { job_id: undefined }],
    ['step_id', { step_id: null }],
    ['payload', { payload: { b: 72001, a: [1, { y: 2, x: 1 }] } }],
    ['payload (array order)', { payload: { b: 72000, a: [{ y: 2, x: 1 }, 1] } }],
  ])('a different %s is a different event', (_, change) => {
    expect(isRetryOf(stored(parseEventInput(body)), parseEventInput({ ...body, ...change }))).toBe(false)
  })

  test('canonical JSON handles nesting, arrays of objects, unicode and odd keys', () => {
    const value = JSON.parse('{"z":[{"b":1,"a":{"y":null,"x":[2,{"d":"ü","c":"✓"}]}}],"":0,"10":"n","2":"m","__proto__":1}')
    expect(canonicalJson(value)).toBe('{"":0,"10":"n","2":"m","__proto__":1,"z":[{"a":{"x":[2,{"c":"✓","d":"ü"}],"y":null},"b":1}]}')
    expect(canonicalJson([1, 'a', null, true])).toBe('[1,"a",null,true]')
    expect(canonicalJson({})).toBe('{}')
  })

  test('payload null is stored as {}', () => {
    expect(parseEventInput({ ...body, payload: null }).payloadJson).toBe('{}')
    expect(parseEventInput({ type: 'a.b', timestamp: body.timestamp }).payloadJson).toBe('{}')
  })
})
