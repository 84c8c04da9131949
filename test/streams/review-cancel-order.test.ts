// Regression (found in review): a cancel's status is published several promise hops after the flush it waited for; an event group
// committed *after* the cancel that shares that flush publishes first. The event stream then sends the late
// events (stored after the cancel) before `event: status cancelled` and `end`.
//
// SQLite-only: the race needs SQLite's shared WAL flush (held through the syncFile hook) between a
// cancel and a later event group; PostgreSQL has no such flush.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { fdatasyncFile } from '../../src/store/sqlite/durable'
import { createHarness, createTenant, onPostgres, type Harness, type Tenant } from '../helpers'
import { batch, eventStream, listStream, progress, statusOf } from './kit'

let h: Harness
let t: Tenant
let dep: string
const flushes = {
  holding: false,
  waiting: [] as Array<() => void>,
  syncFile(fd: number) {
    if (!flushes.holding) return fdatasyncFile(fd)
    return new Promise<void>((resolve) => flushes.waiting.push(resolve))
  },
}
beforeEach(async () => {
  h = createHarness({ store: { syncFile: (fd) => flushes.syncFile(fd), onFlushFailure: () => {} } })
  t = await createTenant(h)
  dep = await t.createDeployment('live')
})
afterEach(() => h.close())

test.skipIf(onPostgres)('late events committed after a cancel are streamed before the cancelled status', async () => {
  const s = await eventStream(h, dep, t.asKey)
  expect(statusOf(await s.next())).toBe('pending')
  const list = await listStream(h, t.asKey)
  await list.next()
  flushes.holding = true
  const log: string[] = []
  h.app.services.bus.subscribeDeployment(dep, (news) => {
    const ev = news.items.filter((i) => i.kind === 'event') as any[]
    const st = news.items.filter((i) => i.kind === 'status') as any[]
    log.push(`${ev.length ? `events ${ev[0].event.arrival}..${ev.at(-1).event.arrival}` : ''}${st.map((x) => ` status ${x.status} after ${x.afterArrival}`).join('')}`)
  })
  // After the second event group commits (while the first group's flush is held), cancel.
  const store = h.store as any
  const write = store.writeEventGroup.bind(store)
  let groups = 0
  let cancel: Promise<unknown> | null = null
  let cancelCount = -1
  // Every argument passed on (the group's scope, its work, its onDurable callback).
  store.writeEventGroup = (...args: unknown[]) => {
    const result = write(...args)
    if (++groups === 2)
      cancel = h.request('POST', `/api/deployments/${dep}/cancel`, { headers: t.asKey }).then(async (r) => {
        cancelCount = (await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body.event_count
        return r
      })
    return result
  }
  // 12 batches of 500: three groups of 2000 events (MAX_GROUP_EVENTS), handed over without waiting for flushes.
  const replies = Array.from({ length: 12 }, (_, b) => batch(h, t, dep, Array.from({ length: 500 }, (_, i) => progress(b * 500 + i, b))))
  await Bun.sleep(300)
  // release the flushes one after another
  while (flushes.waiting.length || flushes.holding) {
    flushes.holding = false
    for (const r of flushes.waiting.splice(0)) r()
    await Bun.sleep(50)
    if (!flushes.waiting.length) break
  }
  const statuses = (await Promise.all(replies)).map((r) => r.status)
  await cancel
  const got: Array<string> = []
  let lastEventBeforeStatus = 0
  let statusAfter = -1
  for (;;) {
    const m = await s.next(3000)
    if (m === null) break
    if (m.comment) continue
    if (m.event) {
      got.push(`${m.event}:${m.data}`)
      if (m.event === 'status') statusAfter = lastEventBeforeStatus
      if (m.event === 'end') break
    } else lastEventBeforeStatus = Number(m.id)
  }
  const cancelled = await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })
  s.close()
  const items: any[] = []
  for (let m = await list.within(2500); m !== 'quiet' && m !== null; m = await list.within(2500)) items.push(JSON.parse(m.data!))
  list.close()
  expect(items.at(-1).event_count).toBe(cancelled.body.event_count)
  // The bus told the cancel before the events committed after it; the stream sent it right after the events
  // stored before the cancel, and nothing after it.
  const at = log.findIndex((entry) => entry.includes('status cancelled'))
  const cancelledAfter = Number(/status cancelled after (\d+)/.exec(log[at]!)![1])
  log.forEach((entry, i) => {
    const from = /events (\d+)/.exec(entry)
    if (from) expect(i > at).toBe(Number(from[1]) > cancelledAfter)
  })
  expect(log.length).toBeGreaterThan(at + 1)
  expect(statusAfter).toBe(cancelledAfter)
  expect(cancelCount).toBeGreaterThanOrEqual(cancelledAfter)
  expect(got.at(-1)).toStartWith('end:')
})
