// Conformance cases for agents and their telemetry (docs/api.md §4, docs/lists.md "Telemetry",
// docs/operations.md "Lost agents"): upserts, the bound on kept samples and its cursor, what another user
// sees, lost agents, and the cascade of a delete.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { TELEMETRY_KEPT, TELEMETRY_PRUNE_EVERY, type Store, type TelemetryRow } from '../../../src/store/types'
import type { Backend, OpenedStore } from './backend'
import { parseEventInput } from '../../../src/domain/event'
import { input, recordInputs, SECOND, seedDeployment, seedPlan, seedUser, T0 } from './fixtures'

/** An event as a report carries it (the fixtures' eventInput names its type `event_type`, which the parser refuses). */
const eventInput = (type: string, timestamp: number) => parseEventInput({ type, timestamp: new Date(timestamp / 1000).toISOString(), payload: {} })

/** Every kept sample of the agent, newest first, read in pages of `pageSize` along the cursor. */
async function allSamples(store: Store, userId: string, agentId: string, pageSize: number): Promise<TelemetryRow[]> {
  const out: TelemetryRow[] = []
  for (;;) {
    const last = out.at(-1)
    const page = await store.listTelemetry(userId, agentId, { limit: pageSize, after: last ? { receivedAt: last.receivedAt, seq: last.seq } : null })
    out.push(...page)
    if (page.length < pageSize) return out
  }
}

export function agentCases(backend: Backend) {
  describe(`agents (${backend.name})`, () => {
    let opened: OpenedStore
    beforeEach(async () => {
      opened = await backend.open()
    })
    afterEach(() => opened.close())

    test('touchAgent creates the agent once, then moves last_seen_at and keeps its first contact', async () => {
      const { store } = opened
      const user = await seedUser(store)
      const first = await store.touchAgent(user.id, 'sat-a', T0)
      expect(first).toEqual({
        userId: user.id, id: 'sat-a', satelliteId: null, satelliteName: null, agentVersion: null, orbitAltitudeKm: null, status: 'idle',
        registeredAt: null, lastSeenAt: T0, lastHeartbeatAt: null, lastTelemetry: null, createdAt: T0, lostAt: null,
      })
      const again = await store.touchAgent(user.id, 'sat-a', T0 + SECOND)
      expect(again).toEqual({ ...first, lastSeenAt: T0 + SECOND })
      expect(await store.getAgent(user.id, 'sat-a')).toEqual(again)
    })

    test('registerAgent keeps the stored fields a registration leaves undefined', async () => {
      const { store } = opened
      const user = await seedUser(store)
      await store.touchAgent(user.id, 'sat-a', T0)
      const full = await store.registerAgent(user.id, 'sat-a', { satelliteId: 'sat-9', satelliteName: 'Nine', agentVersion: '1.0', orbitAltitudeKm: 550.5 }, T0 + SECOND)
      expect(full).toMatchObject({ satelliteId: 'sat-9', satelliteName: 'Nine', agentVersion: '1.0', orbitAltitudeKm: 550.5, status: 'idle', registeredAt: T0 + SECOND, lastSeenAt: T0 + SECOND, createdAt: T0 })
      await store.recordTelemetry(user.id, 'sat-a', { status: 'executing', json: '{"battery":1}' }, T0 + 2 * SECOND)
      const partial = await store.registerAgent(user.id, 'sat-a', { agentVersion: '2.0' }, T0 + 3 * SECOND)
      // A registration is a restart: status back to idle; the heartbeat and its sample stay.
      expect(partial).toEqual({
        ...full, agentVersion: '2.0', status: 'idle', registeredAt: T0 + 3 * SECOND, lastSeenAt: T0 + 3 * SECOND,
        lastHeartbeatAt: T0 + 2 * SECOND, lastTelemetry: '{"battery":1}',
      })
      const fresh = await store.registerAgent(user.id, 'sat-new', { orbitAltitudeKm: 400 }, T0)
      expect(fresh).toMatchObject({ satelliteId: null, agentVersion: null, orbitAltitudeKm: 400, registeredAt: T0, createdAt: T0, lastHeartbeatAt: null })
    })

    test('recordTelemetry creates an unknown agent, keeps a status left out, and stores the sample as given', async () => {
      const { store } = opened
      const user = await seedUser(store)
      const json = '{"text":"\\u0000 and \\ud800","n":1}'
      await store.recordTelemetry(user.id, 'sat-t', { json }, T0)
      expect(await store.getAgent(user.id, 'sat-t')).toMatchObject({ status: 'idle', lastSeenAt: T0, lastHeartbeatAt: T0, lastTelemetry: json, createdAt: T0 })
      await store.recordTelemetry(user.id, 'sat-t', { status: 'transferring', json: '{}' }, T0 + 1)
      await store.recordTelemetry(user.id, 'sat-t', { json: '{"n":3}' }, T0 + 2)
      expect(await store.getAgent(user.id, 'sat-t')).toMatchObject({ status: 'transferring', lastHeartbeatAt: T0 + 2, lastTelemetry: '{"n":3}' })
      expect((await store.listTelemetry(user.id, 'sat-t', { limit: 10, after: null })).map((s) => s.sample)).toEqual(['{"n":3}', '{}', json])
    })

    test('two stores touching the same new agent at once both succeed, and it is one agent', async () => {
      const { store } = opened
      const other = await opened.openAnother()
      const user = await seedUser(store)
      const touches = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? other : store).touchAgent(user.id, 'sat-race', T0 + i)))
      expect(touches.every((agent) => agent.id === 'sat-race')).toBe(true)
      await Promise.all([store.recordTelemetry(user.id, 'sat-race2', { json: '{}' }, T0), other.recordTelemetry(user.id, 'sat-race2', { json: '{}' }, T0)])
      expect((await store.listAgents(user.id, { limit: 10, after: null })).map((a) => a.id).sort()).toEqual(['sat-race', 'sat-race2'])
      expect(await store.listTelemetry(user.id, 'sat-race2', { limit: 10, after: null })).toHaveLength(2)
    })

    test(`telemetry keeps the newest samples: never more than ${TELEMETRY_KEPT + TELEMETRY_PRUNE_EVERY - 1}`, async () => {
      const { store } = opened
      const user = await seedUser(store)
      const bound = TELEMETRY_KEPT + TELEMETRY_PRUNE_EVERY - 1
      // Pruned at the 1st, the 101st, …, the 1001st sample: after the 1100th it holds the bound, after the 1101st TELEMETRY_KEPT.
      for (let i = 1; i <= bound + 1; i++) await store.recordTelemetry(user.id, 'sat-b', { json: `{"i":${i}}` }, T0 + i)
      const held = await store.listTelemetry(user.id, 'sat-b', { limit: 5000, after: null })
      expect(held).toHaveLength(bound)
      expect(held[0]!.sample).toBe(`{"i":${bound + 1}}`)
      expect(held.at(-1)!.sample).toBe('{"i":2}')
      await store.recordTelemetry(user.id, 'sat-b', { json: '{"i":"last"}' }, T0 + bound + 2)
      const kept = await store.listTelemetry(user.id, 'sat-b', { limit: 5000, after: null })
      expect(kept).toHaveLength(TELEMETRY_KEPT)
      expect(kept[0]!.sample).toBe('{"i":"last"}')
      expect(kept.at(-1)!.sample).toBe(`{"i":${bound + 3 - TELEMETRY_KEPT}}`)
    }, 120_000)

    test('listTelemetry pages newest first by (received_at, seq): ties never skipped nor repeated, other agents left out', async () => {
      const { store } = opened
      const user = await seedUser(store)
      const other = await seedUser(store)
      const instants = [T0, T0, T0 + 5, T0 + 5, T0 + 5, T0 + 2, T0 + 9, T0 + 9]
      for (const [i, at] of instants.entries()) {
        await store.recordTelemetry(user.id, 'sat-c', { json: `{"i":${i}}` }, at)
        await store.recordTelemetry(other.id, 'sat-c', { json: `{"other":${i}}` }, at)
        await store.recordTelemetry(user.id, 'sat-d', { json: `{"d":${i}}` }, at)
      }
      const expected = instants.map((at, i) => ({ at, i })).sort((a, b) => b.at - a.at || b.i - a.i).map(({ i }) => `{"i":${i}}`)
      for (const size of [1, 2, 3, 100]) {
        const rows = await allSamples(store, user.id, 'sat-c', size)
        expect(rows.map((r) => r.sample)).toEqual(expected)
      }
      const rows = await store.listTelemetry(user.id, 'sat-c', { limit: 100, after: null })
      expect(rows.map((r) => r.receivedAt)).toEqual([...instants].sort((a, b) => b - a))
      expect(new Set(rows.map((r) => r.seq)).size).toBe(instants.length)
      expect(rows.every((r) => Number.isSafeInteger(r.seq) && typeof r.receivedAt === 'number')).toBe(true)
    })

    test('listAgents pages newest first by (created_at, id), one user’s only', async () => {
      const { store } = opened
      const user = await seedUser(store)
      const other = await seedUser(store)
      for (const [id, at] of [['a-1', T0], ['a-3', T0 + 1], ['a-2', T0 + 1], ['a-4', T0 + 1], ['a-0', T0 + 2]] as const) await store.touchAgent(user.id, id, at)
      await store.touchAgent(other.id, 'a-9', T0 + 1)
      const ids: string[] = []
      let after = null as { createdAt: number; id: string } | null
      for (;;) {
        const page = await store.listAgents(user.id, { limit: 2, after })
        ids.push(...page.map((a) => a.id))
        if (page.length < 2) break
        after = { createdAt: page.at(-1)!.createdAt, id: page.at(-1)!.id }
      }
      expect(ids).toEqual(['a-0', 'a-4', 'a-3', 'a-2', 'a-1'])
    })

    test('another user’s agent is invisible: get, list, telemetry, delete, lost marking', async () => {
      const { store } = opened
      const owner = await seedUser(store)
      const stranger = await seedUser(store)
      await store.recordTelemetry(owner.id, 'sat-x', { json: '{"mine":true}' }, T0)
      expect(await store.getAgent(stranger.id, 'sat-x')).toBeNull()
      expect(await store.listAgents(stranger.id, { limit: 10, after: null })).toEqual([])
      expect(await store.listTelemetry(stranger.id, 'sat-x', { limit: 10, after: null })).toEqual([])
      expect(await store.deleteAgent(stranger.id, 'sat-x')).toBe(false)
      expect(await store.markAgentLost(stranger.id, 'sat-x', T0 + SECOND, T0 + SECOND)).toBe(false)
      // The same agent id is a different agent for another user.
      await store.touchAgent(stranger.id, 'sat-x', T0 + 5)
      expect((await store.getAgent(stranger.id, 'sat-x'))!.lastTelemetry).toBeNull()
      expect((await store.getAgent(owner.id, 'sat-x'))!).toMatchObject({ lastTelemetry: '{"mine":true}', lastSeenAt: T0 })
    })

    test('silent agents are listed in key order and marked lost once; a touch since keeps one found, and finds a lost one', async () => {
      const { store } = opened
      const [u1, u2] = [await seedUser(store), await seedUser(store)].sort((a, b) => (a.id < b.id ? -1 : 1))
      await store.touchAgent(u1!.id, 'b', T0)
      await store.touchAgent(u1!.id, 'a', T0 + 1)
      await store.touchAgent(u1!.id, 'fresh', T0 + 100 * SECOND)
      await store.touchAgent(u2!.id, 'a', T0 + 2)
      const cutoff = T0 + 50 * SECOND
      const silent = await store.listSilentAgents(cutoff, null, 10)
      expect(silent).toEqual([
        { userId: u1!.id, id: 'a', lastSeenAt: T0 + 1 },
        { userId: u1!.id, id: 'b', lastSeenAt: T0 },
        { userId: u2!.id, id: 'a', lastSeenAt: T0 + 2 },
      ])
      expect(await store.listSilentAgents(cutoff, null, 2)).toEqual(silent.slice(0, 2))
      expect(await store.listSilentAgents(cutoff, { userId: u1!.id, id: 'b' }, 10)).toEqual(silent.slice(2))
      // Seen again after the listing: not marked.
      await store.touchAgent(u2!.id, 'a', T0 + 60 * SECOND)
      expect(await store.markAgentLost(u2!.id, 'a', cutoff, T0 + 61 * SECOND)).toBe(false)
      expect(await store.markAgentLost(u1!.id, 'a', cutoff, T0 + 61 * SECOND)).toBe(true)
      expect(await store.markAgentLost(u1!.id, 'a', cutoff, T0 + 62 * SECOND)).toBe(false)
      expect((await store.getAgent(u1!.id, 'a'))!.lostAt).toBe(T0 + 61 * SECOND)
      expect(await store.listSilentAgents(cutoff, null, 10)).toEqual([{ userId: u1!.id, id: 'b', lastSeenAt: T0 }])
      const other = await opened.openAnother()
      expect((await other.getAgent(u1!.id, 'a'))!.lostAt).toBe(T0 + 61 * SECOND)
      // Heard from again: found.
      await store.recordTelemetry(u1!.id, 'a', { json: '{}' }, T0 + 70 * SECOND)
      expect((await store.getAgent(u1!.id, 'a'))!.lostAt).toBeNull()
      await store.markAgentLost(u1!.id, 'b', cutoff, T0 + 71 * SECOND)
      expect((await store.touchAgent(u1!.id, 'b', T0 + 72 * SECOND)).lostAt).toBeNull()
    })

    test('listAgentLiveDeployments names the agent’s dispatched and running deployments only', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const userId = seeded.user.id
      await store.touchAgent(userId, 'agent-1', T0)
      expect(await store.listAgentLiveDeployments(userId, 'agent-1')).toEqual([])
      const first = await seedDeployment(store, seeded, { createdAt: T0 })
      const second = await seedDeployment(store, seeded, { createdAt: T0 + 1 })
      const third = await seedDeployment(store, seeded, { createdAt: T0 + 2 })
      const prepare = (deployment: { id: string }) => deployment.id
      for (let i = 0; i < 3; i++) expect((await store.dispatchNext(userId, 'agent-1', ['sat-1'], T0 + 10 + i, prepare)).kind).toBe('dispatched')
      const agent = { kind: 'agent', agentId: 'agent-1' } as const
      await recordInputs(store, [input(second, [eventInput('job.accepted', T0 + 20)], T0 + 20, agent)])
      await recordInputs(store, [input(third, [eventInput('job.completed', T0 + 21)], T0 + 21, agent)])
      expect(await store.listAgentLiveDeployments(userId, 'agent-1')).toEqual([first.id, second.id])
      expect(await store.listAgentLiveDeployments(userId, 'agent-2')).toEqual([])
      expect(await store.listAgentLiveDeployments((await seedUser(store)).id, 'agent-1')).toEqual([])
    })

    test('deleteAgent deletes its samples with it; the same id starts afresh, and deployments keep their agent_id', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const userId = seeded.user.id
      await store.registerAgent(userId, 'agent-d', { agentVersion: '1' }, T0)
      for (let i = 0; i < 3; i++) await store.recordTelemetry(userId, 'agent-d', { json: `{"i":${i}}` }, T0 + i)
      const deployment = await seedDeployment(store, seeded)
      await store.dispatchNext(userId, 'agent-d', ['sat-1'], T0 + 5, () => null)
      expect(await store.deleteAgent(userId, 'agent-d')).toBe(true)
      expect(await store.deleteAgent(userId, 'agent-d')).toBe(false)
      expect(await store.getAgent(userId, 'agent-d')).toBeNull()
      expect(await store.listTelemetry(userId, 'agent-d', { limit: 10, after: null })).toEqual([])
      expect((await store.getDeployment(userId, deployment.id))!.agentId).toBe('agent-d')
      const again = await store.touchAgent(userId, 'agent-d', T0 + 10)
      expect(again).toMatchObject({ agentVersion: null, createdAt: T0 + 10, lastTelemetry: null })
      expect(await store.listTelemetry(userId, 'agent-d', { limit: 10, after: null })).toEqual([])
      expect(await store.listAgentLiveDeployments(userId, 'agent-d')).toEqual([deployment.id])
    })
  })
}
