// Regression (found in review): "the latest count is always delivered" (docs/api.md §3.3). A report committed after reports.stop()
// (main.ts stops the count timer before server.stop() waits for requests in flight) — or within the last
// second before a crash — never gets a change number: after the restart a list stream resuming from the
// client's last id never sends the deployment's final event_count.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createHarness, createTenant, event, type Harness, type Tenant } from '../helpers'
import { deploymentOf, listStream, progress, report } from './kit'

let h: Harness
let t: Tenant
beforeEach(async () => {
  h = createHarness()
  t = await createTenant(h)
})
afterEach(() => h.close())

test('a report in flight during shutdown: its count never reaches a resuming list stream', async () => {
  const dep = await t.createDeployment('live')
  expect((await report(h, t, dep, event('job.accepted'))).status).toBe(201)
  const s = await listStream(h, t.asKey, '?after=0')
  const first = (await s.messages(1))[0]!
  const lastId = first.id!
  s.close()
  // main.ts: streams.stop(); await reports.stop(); await server.stop()  ← a report still in flight here
  await h.app.services.reports.stop()
  // main.ts calls it once; the harness would call it again on restart
  ;(h.app.services.reports as any).stop = async () => {}
  expect((await report(h, t, dep, progress(1))).status).toBe(201)
  h.restart()
  expect((await deploymentOf(h, t, dep)).event_count).toBe(2)
  const resumed = await listStream(h, { ...t.asKey, 'last-event-id': lastId })
  const got = await resumed.within(2500)
  resumed.close()
  expect(got).not.toBe('quiet')
}, 10_000)
