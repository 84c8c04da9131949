// Regression fuzz (found in review): random flush delays, concurrent reports/batches/retries/cancels over several deployments;
// every event stream must get 1..n in order, each once, each status after the event that caused it, end last.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { fdatasyncFile } from '../../src/store/sqlite/durable'
import { createHarness, createTenant, event, type Harness, type Tenant } from '../helpers'
import { batch, eventStream, listedById, progress, report } from './kit'

let h: Harness
// The random flush delays are SQLite's (its syncFile hook); on PostgreSQL, which ignores the option, the
// reports still race each other through real concurrent transactions.
beforeEach(() => {
  h = createHarness({ store: { syncFile: async (fd) => { await Bun.sleep(Math.random() * 6); return fdatasyncFile(fd) }, onFlushFailure: () => {} } })
})
afterEach(() => h.close())

test('fuzz', async () => {
  const tenants: Tenant[] = [await createTenant(h), await createTenant(h)]
  const deps: Array<{ t: Tenant; id: string }> = []
  for (const t of tenants) for (let k = 0; k < 3; k++) deps.push({ t, id: await t.createDeployment('live') })
  const streams = await Promise.all(deps.map((d) => eventStream(h, d.id, d.t.asKey)))
  const reading = streams.map(async (s) => {
    const got: any[] = []
    for (let m = await s.next(8000); m !== null; m = await s.next(8000)) if (!m.comment) got.push(m)
    return got
  })
  const work: Promise<unknown>[] = []
  let n = 0
  for (let round = 0; round < 60; round++) {
    for (const d of deps) {
      const r = Math.random()
      if (r < 0.4) work.push(report(h, d.t, d.id, progress(n++, n)))
      else if (r < 0.6) work.push(batch(h, d.t, d.id, Array.from({ length: 1 + Math.floor(Math.random() * 50) }, () => progress(n++, n))))
      else if (r < 0.7) work.push(report(h, d.t, d.id, progress(Math.floor(Math.random() * n), 0))) // maybe retry
      else if (r < 0.75 && round > 5) work.push(report(h, d.t, d.id, event('job.accepted')))
      else if (r < 0.77 && round > 40) work.push(report(h, d.t, d.id, event('job.completed', '2026-03-07T13:00:00Z')))
      else if (r < 0.78 && round > 40) work.push(h.request('POST', `/api/deployments/${d.id}/cancel`, { headers: d.t.asKey }))
    }
    if (round % 7 === 0) await Bun.sleep(3)
  }
  await Promise.all(work)
  // end every deployment
  for (const d of deps) await h.request('POST', `/api/deployments/${d.id}/cancel`, { headers: d.t.asKey })
  const all = await Promise.all(reading)
  for (let k = 0; k < deps.length; k++) {
    const got = all[k]!
    const ids = got.filter((m) => !m.event).map((m) => Number(m.id))
    const listed = await listedById(h, deps[k]!.t, deps[k]!.id)
    const terminalAt = got.findIndex((m) => m.event === 'status' && ['completed', 'failed', 'cancelled'].includes(JSON.parse(m.data).status))
    const afterTerminal = got.slice(terminalAt + 1).filter((m) => !m.event).length
    expect(got.at(-1).event).toBe('end')
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1))
    const firstCompleted = got.findIndex((m) => !m.event && JSON.parse(m.data).event_type === 'job.completed')
    const firstAccepted = got.findIndex((m) => !m.event && JSON.parse(m.data).event_type === 'job.accepted')
    const statusIdx = (st: string) => got.findIndex((m) => m.event === 'status' && JSON.parse(m.data).status === st)
    if (statusIdx('completed') >= 0) expect(firstCompleted).toBeGreaterThanOrEqual(0), expect(firstCompleted).toBeLessThan(statusIdx('completed'))
    if (statusIdx('running') > 0) expect(firstAccepted).toBeLessThan(statusIdx('running'))
    // Nothing after the terminal status but `end` (late data is for a reconnect).
    expect(afterTerminal).toBe(0)
    // every event stored before the terminal status is sent before it
    const statuses = got.filter((m) => m.event === 'status').map((m) => JSON.parse(m.data).status)
  }
}, 60_000)
