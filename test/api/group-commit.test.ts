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
  const report = (body: unknown, headers: Record<string, string>) => h.request('POST', `/api/deployments/${dep}/events`, { body, headers })
  const keyed = { ...t.asAgent, 'idempotency-key': 'upload-1' }
  // Sent together: they share a group transaction, so the second of each pair finds the first still buffered.
  const replies = await Promise.all([
    report(event('step.progress', undefined, { payload: { n: 1 } }), keyed),
    report(event('step.progress', undefined, { payload: { n: 2 } }), keyed),
    report(event('step.progress', '2026-03-07T12:00:05Z', { payload: { n: 3 } }), t.asAgent),
    report(event('step.progress', '2026-03-07T12:00:05Z', { payload: { n: 3 } }), t.asAgent),
  ])
  expect(replies.map((r) => r.status)).toEqual([201, 200, 201, 200])
  expect(replies[1]!.body.id).toBe(replies[0]!.body.id)
  expect(replies[3]!.body.id).toBe(replies[2]!.body.id)
  expect((await h.request('GET', `/api/deployments/${dep}/events`, { headers: t.asKey })).body.total).toBe(2)
})

test('groups take waiting reports round-robin by user within their bounds: a flood does not starve another tenant', async () => {
  const flooder = await createTenant(h)
  const quiet = await createTenant(h)
  const [floodDep, quietDep] = [await flooder.createDeployment('live'), await quiet.createDeployment('live')]
  const [floodUser, quietUser] = [(await h.store.getUserByEmail(flooder.email))!.id, (await h.store.getUserByEmail(quiet.email))!.id]
  const groups: Array<Array<{ user: string; events: number }>> = []
  // Each group's transaction, observed: whose inputs it held (each input looks its deployment up once) and their sizes.
  const store: Store = overriding(h.store, {
    async writeEventGroup(scope, work, onDurable) {
      const users: string[] = []
      const written = await h.store.writeEventGroup(scope, (writes) =>
        work({
          ...writes,
          target(userId, deploymentId) {
            users.push(userId)
            return writes.target(userId, deploymentId)
          },
        }),
      )
      groups.push((written.value as GroupRecord).outcomes.map((outcome, i) => ({ user: users[i]!, events: outcome.ok ? outcome.results.length : 0 })))
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
  await Promise.all([...floods, single])
  expect(groups[0]!.some((entry) => entry.user === quietUser)).toBe(true)
  for (const group of groups) expect(group.reduce((sum, entry) => sum + entry.events, 0)).toBeLessThanOrEqual(2000)
  expect(groups.flat().reduce((sum, entry) => sum + entry.events, 0)).toBe(10_001)
})
