// Conformance cases for webhooks and their outbox (docs/api.md §1 "Webhooks", docs/alerts.md): the per-user
// cap, lists, the outbox rows an alert writes, the ping cap, the fair claim (and two stores claiming at
// once), attempts and pruning.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { AppError } from '../../../src/domain/errors'
import { parseEventInput } from '../../../src/domain/event'
import { newId } from '../../../src/domain/ids'
import { PENDING_PINGS_MAX, WEBHOOKS_PER_USER, type AlertEvent } from '../../../src/domain/webhooks'
import type { ClaimRoom, DueDelivery, Store, Webhook } from '../../../src/store/types'
import type { Backend, OpenedStore } from './backend'
import { input, recordInputs, SECOND, seedDeployment, seedPlan, seedUser, T0 } from './fixtures'

async function addWebhook(store: Store, userId: string, events: AlertEvent[], createdAt = T0, id = newId('webhook')): Promise<Webhook> {
  const webhook: Webhook = { id, userId, url: `https://hooks.example.test/${id}`, events, secret: `secret-${id}`, createdAt }
  await store.insertWebhook(webhook)
  return webhook
}

const room = (limit: number, extra: Partial<ClaimRoom> = {}): ClaimRoom => ({ limit, busy: [], inFlight: new Map(), perUser: 100, ...extra })

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

export function webhookCases(backend: Backend) {
  describe(`webhooks (${backend.name})`, () => {
    let opened: OpenedStore
    beforeEach(async () => {
      opened = await backend.open()
    })
    afterEach(() => opened.close())

    test(`a user may have ${WEBHOOKS_PER_USER} webhooks: the next is CONFLICT, another user is not counted`, async () => {
      const { store } = opened
      const user = await seedUser(store)
      const other = await seedUser(store)
      await addWebhook(store, other.id, ['agent.lost'])
      for (let i = 0; i < WEBHOOKS_PER_USER; i++) await addWebhook(store, user.id, ['agent.lost'])
      expect(await store.countWebhooks(user.id)).toBe(WEBHOOKS_PER_USER)
      const error = await rejection(addWebhook(store, user.id, ['agent.lost']))
      expect(error).toBeInstanceOf(AppError)
      expect((error as AppError).code).toBe('CONFLICT')
      expect(await store.countWebhooks(user.id)).toBe(WEBHOOKS_PER_USER)
      expect(await store.countWebhooks(other.id)).toBe(1)
      expect(await store.countWebhooks((await seedUser(store)).id)).toBe(0)
    })

    test('webhooks list newest first by (created_at, id), get and delete only the owner’s', async () => {
      const { store } = opened
      const user = await seedUser(store)
      const stranger = await seedUser(store)
      const made = [
        await addWebhook(store, user.id, ['deployment.completed', 'agent.lost'], T0, 'whk-a'),
        await addWebhook(store, user.id, ['agent.lost'], T0 + 1, 'whk-c'),
        await addWebhook(store, user.id, ['agent.lost'], T0 + 1, 'whk-b'),
        await addWebhook(store, user.id, ['agent.lost'], T0 + 1, 'whk-d'),
        await addWebhook(store, user.id, ['deployment.failed'], T0 + 2, 'whk-0'),
      ]
      await addWebhook(store, stranger.id, ['agent.lost'], T0 + 1, 'whk-s')
      const ids: string[] = []
      let after = null as { createdAt: number; id: string } | null
      for (;;) {
        const page = await store.listWebhooks(user.id, { limit: 2, after })
        ids.push(...page.map((w) => w.id))
        if (page.length < 2) break
        after = { createdAt: page.at(-1)!.createdAt, id: page.at(-1)!.id }
      }
      expect(ids).toEqual(['whk-0', 'whk-d', 'whk-c', 'whk-b', 'whk-a'])
      expect(await store.getWebhook(user.id, 'whk-a')).toEqual(made[0]!)
      expect(await store.getWebhook(stranger.id, 'whk-a')).toBeNull()
      expect(await store.deleteWebhook(stranger.id, 'whk-a')).toBe(false)
      expect(await store.deleteWebhook(user.id, 'whk-a')).toBe(true)
      expect(await store.deleteWebhook(user.id, 'whk-a')).toBe(false)
      expect(await store.getWebhook(user.id, 'whk-a')).toBeNull()
      expect(await store.countWebhooks(user.id)).toBe(4)
    })

    test('an alert writes one pending row, due now, per webhook of the user that takes it, and none elsewhere', async () => {
      const { store } = opened
      const user = await seedUser(store)
      const stranger = await seedUser(store)
      const completed = await addWebhook(store, user.id, ['deployment.completed'])
      const lost = await addWebhook(store, user.id, ['agent.lost'])
      const both = await addWebhook(store, user.id, ['deployment.completed', 'agent.lost'])
      const theirs = await addWebhook(store, stranger.id, ['agent.lost'])
      expect(await store.raiseAlert(user.id, 'agent.lost', { agent_id: 'sat-1' }, T0)).toBe(2)
      expect(await store.raiseAlert((await seedUser(store)).id, 'agent.lost', {}, T0)).toBe(0)
      expect(await store.listDeliveries(completed.id, null, 10)).toEqual([])
      expect(await store.listDeliveries(theirs.id, null, 10)).toEqual([])
      const [row] = await store.listDeliveries(lost.id, null, 10)
      expect(row).toMatchObject({ webhookId: lost.id, event: 'agent.lost', createdAt: T0, state: 'pending', attempts: 0, nextAttemptAt: T0, lastAttemptAt: null, lastStatus: null, lastError: null })
      expect(row!.id).toMatch(/^dlv-/)
      const [again] = await store.listDeliveries(both.id, null, 10)
      expect(again!.id).not.toBe(row!.id)
      // The body the sender posts carries the id, the event and the data.
      const due = await store.claimDeliveries(T0, room(10), T0 + 60 * SECOND)
      const body = JSON.parse(due.find((d) => d.webhookId === lost.id)!.body) as Record<string, unknown>
      expect(body).toMatchObject({ id: row!.id, event: 'agent.lost', data: { agent_id: 'sat-1' } })
    })

    test('a deployment becoming terminal writes its alert for the webhooks taking it, in the same commit', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const completed = await addWebhook(store, seeded.user.id, ['deployment.completed'])
      const failed = await addWebhook(store, seeded.user.id, ['deployment.failed', 'deployment.cancelled'])
      const deployment = await seedDeployment(store, seeded)
      await recordInputs(store, [input(deployment, [parseEventInput({ type: 'job.completed', timestamp: '2026-03-07T12:00:01Z', payload: { ok: true } })], T0 + SECOND)])
      const other = await opened.openAnother()
      const [row] = await other.listDeliveries(completed.id, null, 10)
      expect(row).toMatchObject({ event: 'deployment.completed', state: 'pending', createdAt: T0 + SECOND })
      expect(await other.listDeliveries(failed.id, null, 10)).toEqual([])
      const cancelled = await seedDeployment(store, seeded)
      await store.cancelDeployment(seeded.user.id, cancelled.id, T0 + 2 * SECOND, null)
      expect((await other.listDeliveries(failed.id, null, 10)).map((d) => d.event)).toEqual(['deployment.cancelled'])
    })

    test(`a ping is due now; unknown or another user’s webhook is null; ${PENDING_PINGS_MAX} pending rows make it CONFLICT`, async () => {
      const { store } = opened
      const user = await seedUser(store)
      const stranger = await seedUser(store)
      const hook = await addWebhook(store, user.id, ['agent.lost'])
      expect(await store.pingWebhook(stranger.id, hook.id, T0)).toBeNull()
      expect(await store.pingWebhook(user.id, 'whk-unknown', T0)).toBeNull()
      const ping = await store.pingWebhook(user.id, hook.id, T0)
      expect(ping).toMatchObject({ webhookId: hook.id, event: 'ping', state: 'pending', attempts: 0, nextAttemptAt: T0, createdAt: T0 })
      expect((await store.listDeliveries(hook.id, null, 1))[0]).toEqual(ping!)
      for (let i = 1; i < PENDING_PINGS_MAX - 1; i++) await store.pingWebhook(user.id, hook.id, T0 + i)
      // Alerts count as pending too, and are never refused.
      await store.raiseAlert(user.id, 'agent.lost', {}, T0 + 200)
      await store.raiseAlert(user.id, 'agent.lost', {}, T0 + 201)
      const error = await rejection(store.pingWebhook(user.id, hook.id, T0 + 300))
      expect((error as AppError).code).toBe('CONFLICT')
      // The unknown webhook is still null first.
      expect(await store.pingWebhook(stranger.id, hook.id, T0)).toBeNull()
      // Delivering rows makes room again.
      for (let i = 0; i < 2; i++) {
        const due = await store.claimDeliveries(T0 + 1000, room(10), T0 + 60 * SECOND)
        expect(due.map((d) => d.webhookId)).toEqual([hook.id])
        await store.finishAttempt(due[0]!.seq, { delivered: true, status: 200 }, T0 + 1001, null)
      }
      expect(await store.pingWebhook(user.id, hook.id, T0 + 2000)).not.toBeNull()
    })

    test('listDeliveries pages newest first by seq; deleting the webhook deletes them', async () => {
      const { store } = opened
      const user = await seedUser(store)
      const hook = await addWebhook(store, user.id, ['agent.lost'])
      const keep = await addWebhook(store, user.id, ['agent.lost'])
      for (let i = 0; i < 5; i++) await store.raiseAlert(user.id, 'agent.lost', { i }, T0 + i)
      const all = await store.listDeliveries(hook.id, null, 10)
      expect(all.map((d) => d.createdAt)).toEqual([4, 3, 2, 1, 0].map((i) => T0 + i))
      expect(all.map((d) => d.seq)).toEqual([...all.map((d) => d.seq)].sort((a, b) => b - a))
      const page = await store.listDeliveries(hook.id, all[1]!.seq, 2)
      expect(page).toEqual(all.slice(2, 4))
      await store.deleteWebhook(user.id, hook.id)
      expect(await store.listDeliveries(hook.id, null, 10)).toEqual([])
      expect(await store.listDeliveries(keep.id, null, 10)).toHaveLength(5)
      // A claim never hands out a deleted webhook's rows.
      const due = await store.claimDeliveries(T0 + 10, room(10), T0 + 60 * SECOND)
      expect(due.map((d) => d.webhookId)).toEqual([keep.id])
    })

    test('a claim takes each webhook’s oldest due row, skips busy webhooks and full users, fewest in flight first, and leases', async () => {
      const { store } = opened
      const [u1, u2, u3] = [await seedUser(store), await seedUser(store), await seedUser(store)]
      const a = await addWebhook(store, u1!.id, ['agent.lost'])
      const b = await addWebhook(store, u1!.id, ['agent.lost'])
      const c = await addWebhook(store, u2!.id, ['agent.lost'])
      const d = await addWebhook(store, u3!.id, ['agent.lost'])
      // Due times: u1's rows first, then u2's, then u3's; one row not due yet.
      await store.raiseAlert(u1!.id, 'agent.lost', { n: 1 }, T0)
      await store.raiseAlert(u1!.id, 'agent.lost', { n: 2 }, T0 + 1)
      await store.raiseAlert(u2!.id, 'agent.lost', { n: 3 }, T0 + 2)
      await store.raiseAlert(u3!.id, 'agent.lost', { n: 4 }, T0 + 3)
      await store.raiseAlert(u3!.id, 'agent.lost', { n: 5 }, T0 + 50)
      expect(await store.claimDeliveries(T0 - 1, room(10), T0 + 100)).toEqual([])
      expect(await store.claimDeliveries(T0 + 10, room(0), T0 + 100)).toEqual([])
      // u1 has one send in flight elsewhere: u2 and u3 come first; u1 gets one more (perUser 2); `a` is busy.
      const due = await store.claimDeliveries(T0 + 10, room(10, { busy: [a.id], inFlight: new Map([[u1!.id, 1]]), perUser: 2 }), T0 + 100)
      expect(due.map((x) => x.webhookId)).toEqual([c.id, d.id, b.id])
      const first = due[2]!
      expect(first).toMatchObject({ webhookId: b.id, userId: u1!.id, createdAt: T0, attempts: 0, url: b.url, secret: b.secret })
      expect(JSON.parse(first.body)).toMatchObject({ event: 'agent.lost', data: { n: 1 } })
      // The leased rows are not due until T0 + 100: each webhook's next row is its oldest due one.
      const n = (x: DueDelivery) => (JSON.parse(x.body) as { data: { n: number } }).data.n
      const rest = await store.claimDeliveries(T0 + 20, room(10), T0 + 100)
      expect(rest.map((x) => [x.webhookId, n(x)])).toEqual([[a.id, 1], [b.id, 2]])
      expect((await store.claimDeliveries(T0 + 60, room(10), T0 + 200)).map((x) => [x.webhookId, n(x)])).toEqual([[a.id, 2], [d.id, 5]])
      // Due again once the lease runs out; a's second row (leased to T0 + 200) is not.
      const expired = await store.claimDeliveries(T0 + 150, room(10), T0 + 300)
      expect(expired.map((x) => [x.webhookId, n(x)]).sort()).toEqual([[a.id, 1], [b.id, 1], [c.id, 3], [d.id, 4]].sort() as Array<[string, number]>)
      expect((await store.listDeliveries(b.id, null, 10)).map((x) => x.nextAttemptAt)).toEqual([T0 + 100, T0 + 300])
      // limit 1: the row due longest.
      expect((await store.claimDeliveries(T0 + 400, room(1), T0 + 500)).map((x) => [x.webhookId, n(x)])).toEqual([[b.id, 2]])
      // Every user at its limit: nothing.
      expect(await store.claimDeliveries(T0 + 400, room(5, { perUser: 1, inFlight: new Map([[u1!.id, 1], [u2!.id, 1], [u3!.id, 1]]) }), T0 + 500)).toEqual([])
    })

    test('two stores claiming at once never get the same delivery', async () => {
      const { store } = opened
      const other = await opened.openAnother()
      const users = [await seedUser(store), await seedUser(store), await seedUser(store)]
      for (const user of users) for (let i = 0; i < 4; i++) await addWebhook(store, user.id, ['agent.lost'])
      for (let i = 0; i < 3; i++) for (const user of users) await store.raiseAlert(user.id, 'agent.lost', { i }, T0 + i)
      const total = users.length * 4 * 3
      const seen: DueDelivery[] = []
      for (let round = 0; round < 20 && seen.length < total; round++) {
        const claims = await Promise.all([store, other, store, other].map((s) => s.claimDeliveries(T0 + 10, room(8), T0 + 1000)))
        seen.push(...claims.flat())
      }
      const seqs = seen.map((d) => d.seq)
      expect(new Set(seqs).size).toBe(seqs.length)
      expect(seqs.length).toBe(total)
      expect(await store.claimDeliveries(T0 + 10, room(100), T0 + 1000)).toEqual([])
    })

    test('finishAttempt records delivered, retried and given-up attempts, once per pending row', async () => {
      const { store } = opened
      const user = await seedUser(store)
      const [x, y, z] = [await addWebhook(store, user.id, ['agent.lost']), await addWebhook(store, user.id, ['agent.lost']), await addWebhook(store, user.id, ['agent.lost'])]
      await store.raiseAlert(user.id, 'agent.lost', {}, T0)
      const due = await store.claimDeliveries(T0, room(10), T0 + 100)
      const seqOf = (hook: Webhook) => due.find((d) => d.webhookId === hook.id)!.seq
      await store.finishAttempt(seqOf(x), { delivered: true, status: 200 }, T0 + 1, null)
      await store.finishAttempt(seqOf(y), { delivered: false, status: 503, error: 'e'.repeat(600) }, T0 + 2, T0 + 30 * SECOND)
      await store.finishAttempt(seqOf(z), { delivered: false, status: null, error: 'connection refused' }, T0 + 3, null)
      // A finished row is not pending: a second record of it changes nothing.
      await store.finishAttempt(seqOf(x), { delivered: false, status: 500, error: 'late' }, T0 + 4, T0 + 5)
      const [dx] = await store.listDeliveries(x.id, null, 1)
      expect(dx).toMatchObject({ state: 'delivered', attempts: 1, nextAttemptAt: null, lastAttemptAt: T0 + 1, lastStatus: 200, lastError: null })
      const [dy] = await store.listDeliveries(y.id, null, 1)
      expect(dy).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: T0 + 30 * SECOND, lastAttemptAt: T0 + 2, lastStatus: 503 })
      expect(dy!.lastError).toBe('e'.repeat(500))
      const [dz] = await store.listDeliveries(z.id, null, 1)
      expect(dz).toMatchObject({ state: 'failed', attempts: 1, nextAttemptAt: null, lastAttemptAt: T0 + 3, lastStatus: null, lastError: 'connection refused' })
      const again = await store.claimDeliveries(T0 + 30 * SECOND, room(10), T0 + 40 * SECOND)
      expect(again.map((d) => [d.webhookId, d.attempts])).toEqual([[y.id, 1]])
    })

    test('pruneDeliveries deletes delivered and failed rows made before the cutoff, up to the limit, never pending ones', async () => {
      const { store } = opened
      const user = await seedUser(store)
      const hooks = [] as Webhook[]
      for (let i = 0; i < 6; i++) hooks.push(await addWebhook(store, user.id, ['agent.lost']))
      await store.raiseAlert(user.id, 'agent.lost', {}, T0)
      await store.raiseAlert(user.id, 'agent.lost', {}, T0 + 100)
      // The row left pending stays leased past the second claim, which then takes each webhook's new row.
      const due = await store.claimDeliveries(T0, room(10), T0 + 1000)
      expect(due).toHaveLength(6)
      // Of the old rows: 3 delivered, 2 failed, 1 left pending; the new ones all delivered.
      for (const [i, d] of due.entries()) {
        if (i < 3) await store.finishAttempt(d.seq, { delivered: true, status: 200 }, T0 + 1, null)
        else if (i < 5) await store.finishAttempt(d.seq, { delivered: false, status: 500, error: 'no' }, T0 + 1, null)
      }
      for (const d of await store.claimDeliveries(T0 + 100, room(10), T0 + 110)) await store.finishAttempt(d.seq, { delivered: true, status: 200 }, T0 + 101, null)
      expect(await store.pruneDeliveries(T0 + 50, 3)).toBe(3)
      expect(await store.pruneDeliveries(T0 + 50, 3)).toBe(2)
      expect(await store.pruneDeliveries(T0 + 50, 3)).toBe(0)
      const left = (await Promise.all(hooks.map((h) => store.listDeliveries(h.id, null, 10)))).flat()
      expect(left.filter((d) => d.createdAt === T0).map((d) => d.state)).toEqual(['pending'])
      expect(left.filter((d) => d.createdAt === T0 + 100)).toHaveLength(6)
      expect(await store.pruneDeliveries(T0 + 101, 100)).toBe(6)
    })
  })
}
