// Concurrent reports share transactions, and each is answered only after its transaction committed.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { parseEventInput } from '../../src/domain/event'
import { createBus } from '../../src/services/bus'
import type { GroupRecord } from '../../src/services/report-group'
import { createReports } from '../../src/services/reports'
import { silentLogger } from '../../src/log'
import type { Store } from '../../src/store/types'
import { createHarness, createTenant, event, overriding, send, TEST_PASSWORD_OPTIONS, type Harness } from '../helpers'

let h: Harness
beforeEach(() => {
  h = createHarness()
})
afterEach(() => h.close())

test('50 concurrent reports are committed in a few group transactions, all acknowledged after commit', async () => {
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  const groups: number[] = []
  const committed = new Set<string>()
  // Each group's transaction, observed: how many inputs it held, and the events it stored once durable.
  const store: Store = overriding(h.store, {
    async writeEventGroup(scope, work, onDurable) {
      const written = await h.store.writeEventGroup(scope, work, onDurable)
      const record = written.value as GroupRecord
      groups.push(record.outcomes.length)
      const durable = written.durable.then(() => {
        for (const outcome of record.outcomes) if (outcome.ok) for (const r of outcome.results) committed.add(r.id)
      })
      return { ...written, durable }
    },
  })
  const app = createApp({ store, log: silentLogger, password: TEST_PASSWORD_OPTIONS })
  const acknowledgedBeforeCommit: number[] = []
  const replies = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const reply = await send(app, 'POST', `/api/deployments/${dep}/events`, { body: event('step.progress', undefined, { payload: { i } }), headers: t.asAgent })
      if (!committed.has(reply.body.id)) acknowledgedBeforeCommit.push(i)
      return reply
    }),
  )
  app.services.replay.stop()
  expect(replies.map((r) => r.status)).toEqual(Array(50).fill(201))
  expect(groups.reduce((a, b) => a + b, 0)).toBe(50)
  expect(groups.length).toBeLessThan(10)
  expect(Math.max(...groups)).toBeGreaterThan(1)
  expect(acknowledgedBeforeCommit).toEqual([])
})

test('a refused report in a group does not disturb the others', async () => {
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  const sim = await t.createDeployment('simulated')
  const replies = await Promise.all([
    h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', undefined, { payload: { i: 1 } }), headers: t.asAgent }),
    h.request('POST', `/api/deployments/${sim}/events`, { body: event('step.progress'), headers: t.asAgent }),
    h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', undefined, { payload: { i: 2 } }), headers: t.asAgent }),
  ])
  expect(replies.map((r) => r.status)).toEqual([201, 409, 201])
  expect((await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body.event_count).toBe(2)
})

test('the same event sent concurrently, with or without an Idempotency-Key, is stored once even within one group', async () => {
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  const userId = (await h.store.getUserByEmail(t.email))!.id
  const scopes: number[] = []
  const store: Store = overriding(h.store, {
    writeEventGroup(scope, work, onDurable) {
      scopes.push(scope.length)
      return h.store.writeEventGroup(scope, work, onDurable)
    },
  })
  const ingest = createReports({ store, bus: createBus(), log: silentLogger })
  const input = (body: unknown, key: string | null) => ({ userId, deploymentId: dep, reporter: { kind: 'agent' as const, agentId: 'sat-25544' }, events: [{ event: parseEventInput(body), key }], now: 1 })
  // Queued in one turn of the event loop: one group, taken in this order, so the second of each pair finds
  // the first still buffered in the group's transaction.
  const results = await Promise.all([
    ingest.submit(input(event('step.progress', undefined, { payload: { n: 1 } }), 'upload-1')),
    ingest.submit(input(event('step.progress', undefined, { payload: { n: 2 } }), 'upload-1')),
    ingest.submit(input(event('step.progress', '2026-03-07T12:00:05Z', { payload: { n: 3 } }), null)),
    ingest.submit(input(event('step.progress', '2026-03-07T12:00:05Z', { payload: { n: 3 } }), null)),
  ])
  expect(scopes).toEqual([4])
  expect(results.map(([r]) => r!.created)).toEqual([true, false, true, false])
  expect(results[1]![0]!.id).toBe(results[0]![0]!.id)
  expect(results[3]![0]!.id).toBe(results[2]![0]!.id)
  expect(await h.store.getEventCount(userId, dep)).toBe(2)

  // Over HTTP, to another deployment: requests sent together have no order between them (on PostgreSQL each
  // one's authentication is a round trip, and they reach the group queue as those return), so which of a
  // pair is the first is the server's to say: one 201, the other 200 with the first's id (docs/api.md §3.1).
  const other = await t.createDeployment('live')
  const report = (body: unknown, headers: Record<string, string>) => h.request('POST', `/api/deployments/${other}/events`, { body, headers })
  const keyed = { ...t.asAgent, 'idempotency-key': 'upload-1' }
  const replies = await Promise.all([
    report(event('step.progress', undefined, { payload: { n: 1 } }), keyed),
    report(event('step.progress', undefined, { payload: { n: 2 } }), keyed),
    report(event('step.progress', '2026-03-07T12:00:05Z', { payload: { n: 3 } }), t.asAgent),
    report(event('step.progress', '2026-03-07T12:00:05Z', { payload: { n: 3 } }), t.asAgent),
  ])
  for (const [a, b] of [[replies[0]!, replies[1]!] as const, [replies[2]!, replies[3]!] as const]) {
    expect([a.status, b.status].sort()).toEqual([200, 201])
    expect(b.body.id).toBe(a.body.id)
  }
  expect(replies[2]!.body.id).not.toBe(replies[0]!.body.id)
  expect((await h.request('GET', `/api/deployments/${other}/events`, { headers: t.asKey })).body.total).toBe(2)
})

test('groups take waiting reports round-robin by user within their bounds: a flood does not starve another tenant', async () => {
  const flooder = await createTenant(h)
  const quiet = await createTenant(h)
  const [floodDep, quietDep] = [await flooder.createDeployment('live'), await quiet.createDeployment('live')]
  const [floodUser, quietUser] = [(await h.store.getUserByEmail(flooder.email))!.id, (await h.store.getUserByEmail(quiet.email))!.id]
  const groups: Array<Array<{ user: string; events: number }>> = []
  // Each group's transaction, observed: whose inputs it held (each input looks its deployment up once) and
  // their sizes, in the order the groups were taken (the order of these calls).
  const store: Store = overriding(h.store, {
    async writeEventGroup(scope, work, onDurable) {
      const group: Array<{ user: string; events: number }> = []
      groups.push(group)
      let users: string[] = []
      const written = await h.store.writeEventGroup(scope, (writes) => {
        // A transaction run again (a lost deadlock on PostgreSQL) runs `work` again from the start.
        users = []
        return work({
          ...writes,
          target(userId, deploymentId) {
            users.push(userId)
            return writes.target(userId, deploymentId)
          },
        })
      })
      group.push(...(written.value as GroupRecord).outcomes.map((outcome, i) => ({ user: users[i]!, events: outcome.ok ? outcome.results.length : 0 })))
      return written
    },
  })
  const ingest = createReports({ store, bus: createBus(), log: silentLogger })
  const input = (userId: string, deploymentId: string, from: number, count: number) => ({
    userId,
    deploymentId,
    reporter: { kind: 'agent' as const, agentId: 'sat-25544' },
    events: Array.from({ length: count }, (_, i) => ({ event: parseEventInput(event('step.progress', undefined, { payload: { i: from + i } })), key: null })),
    now: 1,
  })
  // Twenty batches of 500 queued first, then one single report of the other tenant.
  const floods = Array.from({ length: 20 }, (_, b) => ingest.submit(input(floodUser, floodDep, b * 500, 500)))
  const single = ingest.submit(input(quietUser, quietDep, 0, 1))
  // And it is answered with that first group: before any flood batch a later group took.
  let floodsAnswered = 0
  for (const flood of floods) void flood.then(() => floodsAnswered++)
  const answeredAfter = single.then(() => floodsAnswered)
  await Promise.all([...floods, single])
  expect(groups[0]!.some((entry) => entry.user === quietUser)).toBe(true)
  expect(await answeredAfter).toBeLessThanOrEqual(groups[0]!.length - 1)
  for (const group of groups) expect(group.reduce((sum, entry) => sum + entry.events, 0)).toBeLessThanOrEqual(2000)
  expect(groups.flat().reduce((sum, entry) => sum + entry.events, 0)).toBe(10_001)
})
