import { describe, expect, test } from 'bun:test'
import { canonicalJson, eventIdentity, parseEventInput } from '../../src/domain/event'

const body = { type: 'step.completed', timestamp: '2026-03-07T12:00:00Z', job_id: 'j', step_id: 's', payload: { b: 72000.0, a: [1, { y: 2, x: 1 }] } }

describe('event identity', () => {
  test('canonical JSON sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}')
  })

  test('key order, 72000.0 vs 72000 and the timestamp offset do not change it', () => {
    const same = parseEventInput({ ...body, timestamp: '2026-03-07T13:00:00+01:00', payload: JSON.parse('{"a":[1,{"x":1,"y":2}],"b":72000}') })
    expect(eventIdentity(same)).toBe(eventIdentity(parseEventInput(body)))
  })

  test.each([
    ['type', { type: 'step.started' }],
    ['timestamp (one microsecond later)', { timestamp: '2026-03-07T12:00:00.000001Z' }],
    ['job_id', { job_id: 'k' }],
    ['step_id', { step_id: null }],
    ['payload', { payload: { b: 72001, a: [1, { y: 2, x: 1 }] } }],
  ])('a different %s is a different event', (_, change) => {
    expect(eventIdentity(parseEventInput({ ...body, ...change }))).not.toBe(eventIdentity(parseEventInput(body)))
  })

  test('an Idempotency-Key decides identity by itself', () => {
    const a = parseEventInput(body)
    const b = parseEventInput({ ...body, type: 'other.type' })
    expect(eventIdentity(a, 'k1')).toBe(eventIdentity(b, 'k1'))
    expect(eventIdentity(a, 'k1')).not.toBe(eventIdentity(a, 'k2'))
  })

  test('payload null is stored as {}', () => {
    expect(parseEventInput({ ...body, payload: null }).payloadJson).toBe('{}')
    expect(parseEventInput({ type: 'a.b', timestamp: body.timestamp }).payloadJson).toBe('{}')
  })
})
