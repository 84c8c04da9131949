// Text that is not JSON stays refused however the exact-number scan reads it: a number where a key is due,
// leading zeros.
import { describe, expect, test } from 'bun:test'
import { parseJsonExact } from '../../src/domain/json'
import { createHarness, createTenant } from '../helpers'

describe('review: parseJsonExact on text that is not JSON', () => {
  test('a long number as an object key', () => {
    expect(() => parseJsonExact('{12345678901234567890:1}')).toThrow(SyntaxError)
  })
  test('an exponent number as an object key', () => {
    expect(() => parseJsonExact('{"a":{1e400:2}}')).toThrow(SyntaxError)
  })
  test('leading zero on a long number', () => {
    expect(() => parseJsonExact('{"n":01234567890123456789}')).toThrow(SyntaxError)
  })
  test('leading zero with exponent', () => {
    expect(() => parseJsonExact('[01e400]')).toThrow(SyntaxError)
  })
})

describe('review: through the report route', () => {
  test('invalid JSON body (number key in payload) is 400 BAD_REQUEST', async () => {
    const h = createHarness()
    try {
      const t = await createTenant(h)
      const dep = await t.createDeployment('live')
      const r = await h.request('POST', `/api/deployments/${dep}/events`, {
        raw: '{"type":"job.accepted","timestamp":"2026-03-07T12:00:00Z","payload":{1e400:1}}',
        headers: t.asAgent,
      })
      const list = await h.request('GET', `/api/deployments/${dep}/events`, { headers: t.asKey })

      expect(r.status).toBe(400)
      const r2 = await h.request('POST', `/api/deployments/${dep}/events`, {
        raw: '{"type":"job.accepted","timestamp":"2026-03-07T12:00:00Z","payload":{"n":012345678901234567890}}',
        headers: t.asAgent,
      })

      expect(r2.status).toBe(400)
    } finally {
      await h.close()
    }
  })
})
