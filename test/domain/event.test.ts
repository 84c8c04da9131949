import { describe, expect, test } from 'bun:test'
import { canonicalJson, eventIdentity, parseEventInput } from '../../src/domain/event'

const body = { type: 'step.completed', timestamp: '2026-03-07T12:00:00Z', job_id: 'j', step_id: 's', payload: { b: 72000.0, a: [1, { y: 2, x: 1 }] } }

describe('event identity', () => {
  test('canonical JSON sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}')
  })

  test('key order, 72000.0 vs 72000 and the timestamp offset do not change it', () => {
    const same = parseEventInput({ ...body, timestamp: '2026-03-07T13:00:00+01:00', payload: JSON.parse('{"a":[1,{"x":1,"y":2}],"b":72000}') })
    expect(eventIdentity(same)).toEqual(eventIdentity(parseEventInput(body)))
  })

  test.each([
    ['type', { type: 'step.started' }],
    ['timestamp (one microsecond later)', { timestamp: '2026-03-07T12:00:00.000001Z' }],
    ['job_id', { job_id: 'k' }],
    ['step_id', { step_id: null }],
    ['payload', { payload: { b: 72001, a: [1, { y: 2, x: 1 }] } }],
  ])('a different %s is a different event', (_, change) => {
    expect(eventIdentity(parseEventInput({ ...body, ...change })).hash).not.toBe(eventIdentity(parseEventInput(body)).hash)
  })

  test('with an Idempotency-Key, the key is the identity and equal content under two keys differs', () => {
    const a = parseEventInput(body)
    expect(eventIdentity(a, 'k1').key).toBe('k1')
    expect(eventIdentity(a).key).toBeNull()
    expect(eventIdentity(a, 'k1').hash).not.toBe(eventIdentity(a, 'k2').hash)
    expect(eventIdentity(a, 'k1').hash).not.toBe(eventIdentity(a).hash)
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
