// Every kind of bad report or list request answers its documented status with the JSON error body,
// and stores nothing.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHarness, createTenant, type Harness, type Tenant } from '../helpers'

let h: Harness
let t: Tenant
let dep: string
beforeAll(async () => {
  h = createHarness()
  t = await createTenant(h)
  dep = await t.createDeployment('live')
})
afterAll(() => h.close())

const good = { type: 'step.progress', timestamp: '2026-03-07T12:00:00Z', job_id: 'j', payload: { percent: 25 } }
const bigPayload = { blob: 'x'.repeat(64 * 1024) }

type Case = { name: string; status: number; code: string; field?: string; body?: unknown; raw?: string; headers?: Record<string, string> }

const REPORT_CASES: Case[] = [
  { name: 'missing type', status: 400, code: 'VALIDATION', field: 'type', body: { ...good, type: undefined } },
  { name: 'type not a string', status: 400, code: 'VALIDATION', field: 'type', body: { ...good, type: 7 } },
  { name: 'type without a dot', status: 400, code: 'VALIDATION', field: 'type', body: { ...good, type: 'accepted' } },
  { name: 'type with capitals', status: 400, code: 'VALIDATION', field: 'type', body: { ...good, type: 'Job.Accepted' } },
  { name: 'type with a trailing dot', status: 400, code: 'VALIDATION', field: 'type', body: { ...good, type: 'job.' } },
  { name: 'a 65-character type', status: 400, code: 'VALIDATION', field: 'type', body: { ...good, type: `a.${'b'.repeat(63)}` } },
  { name: 'missing timestamp', status: 400, code: 'VALIDATION', field: 'timestamp', body: { ...good, timestamp: undefined } },
  { name: 'timestamp without offset', status: 400, code: 'VALIDATION', field: 'timestamp', body: { ...good, timestamp: '2026-03-07T12:00:00' } },
  { name: 'impossible date', status: 400, code: 'VALIDATION', field: 'timestamp', body: { ...good, timestamp: '2026-02-30T12:00:00Z' } },
  { name: 'timestamp as a number', status: 400, code: 'VALIDATION', field: 'timestamp', body: { ...good, timestamp: 1772884800 } },
  // It would be stored as .000004: refused rather than rounded (docs/api.md §0: the server stores what it acknowledges).
  { name: 'an instant a double cannot hold to the microsecond', status: 400, code: 'VALIDATION', field: 'timestamp', body: { ...good, timestamp: '1000-01-01T00:00:00.000003Z' } },
  { name: 'job_id as a number', status: 400, code: 'VALIDATION', field: 'job_id', body: { ...good, job_id: 5 } },
  { name: 'a 129-character step_id', status: 400, code: 'VALIDATION', field: 'step_id', body: { ...good, step_id: 's'.repeat(129) } },
  { name: 'payload as an array', status: 400, code: 'VALIDATION', field: 'payload', body: { ...good, payload: [1, 2] } },
  { name: 'payload as a string', status: 400, code: 'VALIDATION', field: 'payload', body: { ...good, payload: '{}' } },
  { name: 'payload as a number', status: 400, code: 'VALIDATION', field: 'payload', body: { ...good, payload: 5 } },
  { name: 'body as an array', status: 400, code: 'VALIDATION', field: 'body', body: [good] },
  { name: 'body as null', status: 400, code: 'VALIDATION', field: 'body', raw: 'null' },
  { name: 'a payload over 64 KiB', status: 413, code: 'PAYLOAD_TOO_LARGE', field: 'payload', body: { ...good, payload: bigPayload } },
  { name: 'a body over 1 MiB', status: 413, code: 'PAYLOAD_TOO_LARGE', body: { ...good, junk: 'x'.repeat(1024 * 1024) } },
  { name: 'invalid JSON', status: 400, code: 'BAD_REQUEST', raw: '{"type": "job.accepted",' },
  { name: 'an empty body', status: 400, code: 'BAD_REQUEST', raw: '' },
  { name: 'a text/plain body', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', raw: JSON.stringify(good), headers: { 'content-type': 'text/plain' } },
  { name: 'a form body', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', raw: 'type=job.accepted', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { name: 'an empty Idempotency-Key', status: 400, code: 'BAD_REQUEST', body: good, headers: { 'idempotency-key': '' } },
]

describe('bad reports', () => {
  for (const c of REPORT_CASES) {
    test(`${c.name} → ${c.status} ${c.code}`, async () => {
      const reply = await h.request('POST', `/api/deployments/${dep}/events`, {
        body: c.body,
        raw: c.raw,
        headers: { ...t.asAgent, ...(c.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...c.headers },
      })
      expect(reply.status).toBe(c.status)
      expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8')
      expect(reply.body).toEqual({ error: expect.any(String), code: c.code })
      if (c.field) expect(reply.body.error).toStartWith(`${c.field}:`)
      const page = await h.request('GET', `/api/deployments/${dep}/events`, { headers: t.asKey })
      expect(page.body.total).toBe(0)
      expect((await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body).toMatchObject({ status: 'pending', event_count: 0 })
    })
  }

  test('a body over 1 MiB is 413 before the deployment is even looked up', async () => {
    const reply = await h.request('POST', '/api/deployments/dep-unknown/events', { raw: 'x'.repeat(1024 * 1024 + 1), headers: t.asAgent })
    expect(reply.status).toBe(413)
  })

  test('a payload of exactly 64 KiB is accepted', async () => {
    const blob = 'x'.repeat(64 * 1024 - '{"blob":""}'.length)
    const other = await t.createDeployment('live')
    const reply = await h.request('POST', `/api/deployments/${other}/events`, { body: { ...good, payload: { blob } }, headers: t.asAgent })
    expect(reply.status).toBe(201)
  })
})

describe('bad list queries', () => {
  for (const [query, field] of [
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=', 'limit'],
    ['offset=-1', 'offset'],
    ['offset=1e3', 'offset'],
  ] as const) {
    test(`?${query} → 400 naming ${field}`, async () => {
      const reply = await h.request('GET', `/api/deployments/${dep}/events?${query}`, { headers: t.asKey })
      expect(reply.status).toBe(400)
      expect(reply.body).toEqual({ error: expect.stringMatching(new RegExp(`^${field}:`)), code: 'VALIDATION' })
    })
  }
})
