// Regression (found in review): a late event published in the same wake-up as the terminal status is written after the status,
// before `end` (docs/streams.md: late data is not sent on that stream).
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createHarness, createTenant, event, type Harness, type Tenant } from '../helpers'
import { eventStream, progress, report, statusOf } from '../streams/kit'

let h: Harness
let t: Tenant
let dep: string
beforeEach(async () => {
  h = createHarness()
  t = await createTenant(h)
  dep = await t.createDeployment('live')
})
afterEach(() => h.close())

test('late event after the terminal status in one wake-up', async () => {
  const s = await eventStream(h, dep, t.asKey)
  expect(statusOf(await s.next())).toBe('pending')
  expect((await report(h, t, dep, progress(1, 1))).status).toBe(201)
  expect((await s.next())!.id).toBe('1')
  // within the stream's 20 ms write throttle: two groups, the second one late data
  const a = await report(h, t, dep, event('job.completed', '2026-03-07T12:00:02Z'))
  const b = await report(h, t, dep, progress(2, 3))
  const rest: string[] = []
  for (let m = await s.next(2000); m !== null; m = await s.next(2000)) rest.push(m.event ? `${m.event}` : m.comment ? 'comment' : `id ${m.id}`)
  expect(rest).toEqual(['id 2', 'status', 'end'])
})
