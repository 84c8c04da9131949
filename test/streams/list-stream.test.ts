// GET /api/deployments/stream (docs/api.md §3.3): the caller's deployments as they change, numbered by the
// caller's change sequence; from now without a resume point, else the latest state of every deployment
// changed after it first; event counts at most once a second per deployment, the latest always.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createHarness, createTenant, event, fixedClock, type Harness, type Reply, type Tenant } from '../helpers'
import type { SseMessage } from './sse'
import { deploymentOf, listStream, progress, report, type Stream } from './kit'

let h: Harness
let t: Tenant
let other: Tenant
beforeEach(async () => {
  h = createHarness({ clock: fixedClock('2026-03-07T12:00:00Z') })
  t = await createTenant(h)
  other = await createTenant(h)
})
afterEach(() => h.close())

const dataOf = (m: SseMessage) => JSON.parse(m.data!)
const cancel = (id: string, tenant = t) => h.request('POST', `/api/deployments/${id}/cancel`, { headers: tenant.asKey })
const poll = (tenant = t) => h.request('GET', '/api/agent/workloads', { headers: tenant.asAgent })

/** The next message is change `seq` of deployment `id`, exactly as GET /api/deployments/{id} shows it now. */
async function expectChange(s: Stream, seq: number, id: string) {
  const [m] = await s.messages(1)
  expect(m!.id).toBe(String(seq))
  expect(m!.event).toBeUndefined()
  expect(dataOf(m!)).toEqual(await deploymentOf(h, t, id))
  return dataOf(m!)
}

/** Another user busy meanwhile: none of it may reach this user's stream. */
async function otherUserBusy() {
  const theirs = await other.createDeployment('live')
  await poll(other)
  await report(h, other, theirs, event('job.accepted'))
  await report(h, other, theirs, progress(1))
  await cancel(await other.createDeployment('live'), other)
}

test('without a resume point it starts from now; creation, dispatch, event-driven changes and cancel each come as the deployment item', async () => {
  const old = await t.createDeployment('live')
  await report(h, t, old, event('job.accepted'))
  const s = await listStream(h, t.asKey)
  expect(s.response.headers.get('content-type')).toStartWith('text/event-stream')
  // Something at once, so the client knows it is connected; no history.
  expect(await s.next()).toEqual({ comment: 'keep-alive' })
  await otherUserBusy()
  const dep = await t.createDeployment('live')
  expect(await expectChange(s, 3, dep)).toMatchObject({ status: 'pending', event_count: 0 })
  expect((await poll()).status).toBe(200)
  expect(await expectChange(s, 4, dep)).toMatchObject({ status: 'dispatched', agent_id: 'sat-25544' })
  await report(h, t, dep, event('job.accepted'))
  expect(await expectChange(s, 5, dep)).toMatchObject({ status: 'running', event_count: 1 })
  await report(h, t, dep, event('job.completed', '2026-03-07T12:01:00Z'))
  expect(await expectChange(s, 6, dep)).toMatchObject({ status: 'completed', event_count: 2 })
  await cancel(old)
  expect(await expectChange(s, 7, old)).toMatchObject({ status: 'cancelled', event_count: 1 })
  // Changes of status carry their count: no separate count message follows them.
  expect(await s.within(1200)).toBe('quiet')
  s.close()
})

test('with a resume point: the latest state of every deployment changed after it, each once, in change order, then live; across a restart', async () => {
  const a = await t.createDeployment('live') // 1
  const b = await t.createDeployment('live') // 2
  const c = await t.createDeployment('live') // 3
  await report(h, t, a, event('job.accepted')) // a: 4
  await cancel(b) // b: 5
  await report(h, t, a, event('job.completed')) // a: 6
  await otherUserBusy()
  const fromZero = await listStream(h, t.asKey, '?after=0')
  const first = await fromZero.messages(3)
  expect(first.map((m) => [m.id, dataOf(m).id])).toEqual([
    ['3', c],
    ['5', b],
    ['6', a],
  ])
  for (const m of first) expect(dataOf(m)).toEqual(await deploymentOf(h, t, dataOf(m).id))
  const d = await t.createDeployment('live')
  await expectChange(fromZero, 7, d)
  fromZero.close()
  const fromFour = await listStream(h, { ...t.asKey, 'last-event-id': '4' }, '?after=0')
  expect((await fromFour.messages(3)).map((m) => m.id)).toEqual(['5', '6', '7'])
  fromFour.close()

  h.restart()
  const e = await t.createDeployment('live')
  const resumed = await listStream(h, { ...t.asKey, 'last-event-id': '6' })
  expect((await resumed.messages(2)).map((m) => [m.id, dataOf(m).id])).toEqual([
    ['7', d],
    ['8', e],
  ])
  resumed.close()
  // Past the latest change: nothing yet, then the live ones.
  const past = await listStream(h, t.asKey, '?after=1000')
  expect(await past.within(50)).toBe('quiet')
  const f = await t.createDeployment('live')
  await expectChange(past, 9, f)
  past.close()
})

test('event counts come at most once a second per deployment, the latest always delivered', async () => {
  const dep = await t.createDeployment('live')
  const second = await t.createDeployment('live')
  await report(h, t, dep, event('job.accepted'))
  await report(h, t, second, event('job.accepted'))
  const s = await listStream(h, t.asKey)
  await s.next()
  const started = Date.now()
  // Read as they come, to time them.
  const got: Array<{ at: number; item: { id: string; event_count: number } }> = []
  const reading = (async () => {
    for (;;) {
      // Quiet for 2.5 s: the last count has come (the timer runs every second; a loaded machine adds delay).
      const m = await s.within(2500)
      if (m === 'quiet' || m === null) return
      got.push({ at: Date.now() - started, item: dataOf(m) })
    }
  })()
  const replies: Promise<Reply>[] = []
  // 100 reports over about 1.2 s, and a few for another deployment.
  for (let i = 0; i < 100; i++) {
    replies.push(report(h, t, dep, progress(i)))
    if (i % 25 === 0) replies.push(report(h, t, second, progress(i)))
    await Bun.sleep(12)
  }
  expect((await Promise.all(replies)).every((r) => r.status === 201)).toBe(true)
  await reading
  const ofDep = got.filter((g) => g.item.id === dep)
  expect(ofDep.length).toBeGreaterThanOrEqual(1)
  expect(ofDep.length).toBeLessThanOrEqual(3)
  // A second apart on the server; as received here, less what scheduling delays the earlier one by.
  for (let k = 1; k < ofDep.length; k++) expect(ofDep[k]!.at - ofDep[k - 1]!.at).toBeGreaterThan(800)
  expect(ofDep.at(-1)!.item.event_count).toBe(101)
  expect(got.filter((g) => g.item.id === second).at(-1)!.item.event_count).toBe(5)
  for (const id of [dep, second]) expect(got.filter((g) => g.item.id === id).at(-1)!.item).toEqual(await deploymentOf(h, t, id))
  s.close()
}, 10_000)

test('changes racing a catch-up: change numbers rise without repeats, and every deployment ends in its latest state', async () => {
  const ids: string[] = []
  const work: Promise<unknown>[] = []
  for (let k = 0; k < 10; k++) ids.push(await t.createDeployment('live'))
  const streams: Promise<Stream>[] = []
  for (let k = 0; k < 10; k++) {
    work.push(report(h, t, ids[k]!, event('job.accepted')), t.createDeployment('live').then((id) => ids.push(id)))
    if (k % 3 === 0) work.push(cancel(ids[k]!))
    streams.push(listStream(h, { ...t.asKey, 'last-event-id': String(k * 2) }))
  }
  await Promise.all(work)
  await report(h, t, ids[1]!, event('job.completed'))
  const last = new Map<string, unknown>()
  const seenBy = await Promise.all(
    streams.map(async (opened) => {
      const s = await opened
      const seen: SseMessage[] = []
      for (let m = await s.within(300); m !== 'quiet' && m !== null; m = await s.within(300)) seen.push(m)
      s.close()
      return seen
    }),
  )
  for (const seen of seenBy) {
    const seqs = seen.map((m) => Number(m.id))
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
    expect(new Set(seqs).size).toBe(seqs.length)
    for (const m of seen) last.set(dataOf(m).id, dataOf(m))
  }
  for (const id of ids) expect(last.get(id)).toEqual(await deploymentOf(h, t, id))
})
