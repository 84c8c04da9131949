// What every backend must do with events (docs/api.md §3.1–§3.3, docs/events.md): store each event once
// (a retry, by content or by Idempotency-Key, gets the stored event's id, also when another node stored
// it), number arrivals 1, 2, 3… without gaps even when two nodes write at once, list in (event_timestamp,
// arrival) order with filters and positions, move deployments through the job.* events, refuse another
// user's deployment without writing anything, and keep payloads byte for byte.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { AppError } from '../../../src/domain/errors'
import { parseEventInput, type EventInput } from '../../../src/domain/event'
import { newId } from '../../../src/domain/ids'
import { recordGroup } from '../../../src/services/report-group'
import { NO_EVENT_FILTER, type Deployment, type EventFilter, type RecordEventResult, type RecordEventsInput, type Store } from '../../../src/store/types'
import type { Backend, OpenedStore } from './backend'
import { input, recordInputs, SECOND, seedDeployment, seedPlan, T0 } from './fixtures'

/**
 * An event as an agent's report carries it. Not fixtures.ts's eventInput, which names the field
 * `event_type` where parseEventInput (docs/api.md §3.1) reads `type`.
 */
function eventInput(type: string, timestamp: number, payload: unknown = {}, extra: { step_id?: string } = {}): EventInput {
  return parseEventInput({ type, timestamp: new Date(timestamp / 1000).toISOString(), payload, ...extra })
}

/** Stores one input and answers its results (throws its refusal). */
async function record(store: Store, deployment: Deployment, events: Parameters<typeof input>[1], now = T0): Promise<RecordEventResult[]> {
  const [outcome] = await recordInputs(store, [input(deployment, events, now)])
  if (!outcome!.ok) throw outcome!.error
  return outcome!.results
}

const filter = (f: Partial<EventFilter>): EventFilter => ({ ...NO_EVENT_FILTER, ...f })
const arrivalsOf = (events: Array<{ arrival: number }>) => events.map((e) => e.arrival)

export function eventCases(backend: Backend) {
  describe(`events (${backend.name})`, () => {
    let opened: OpenedStore
    beforeEach(async () => {
      opened = await backend.open()
    })
    afterEach(() => opened.close())

    const seed = async () => {
      const seeded = await seedPlan(opened.store)
      return { seeded, deployment: await seedDeployment(opened.store, seeded) }
    }

    test('a keyless retry (same content, keys in another order) gets the stored id and is not stored again', async () => {
      const { store } = opened
      const { deployment } = await seed()
      const [first] = await record(store, deployment, [eventInput('step.progress', T0, { a: 1, b: [1, 2] })])
      expect(first).toEqual({ id: expect.any(String), created: true, arrival: 1 })
      const [again] = await record(store, deployment, [eventInput('step.progress', T0, { b: [1, 2], a: 1 })], T0 + SECOND)
      expect(again).toEqual({ id: first!.id, created: false })
      // Another payload, type, step or instant is another event.
      const others = await record(store, deployment, [
        eventInput('step.progress', T0, { a: 2, b: [1, 2] }),
        eventInput('step.other', T0, { a: 1, b: [1, 2] }),
        eventInput('step.progress', T0, { a: 1, b: [1, 2] }, { step_id: 's1' }),
        eventInput('step.progress', T0 + SECOND, { a: 1, b: [1, 2] }),
      ])
      expect(others.map((r) => [r.created, r.arrival])).toEqual([[true, 2], [true, 3], [true, 4], [true, 5]])
      expect(new Set([first!.id, ...others.map((r) => r.id)]).size).toBe(5)
      expect(await store.getEventCount(deployment.userId, deployment.id)).toBe(5)
    })

    test('a keyed retry gets the stored id whatever its content; a key is per deployment', async () => {
      const { store } = opened
      const { seeded, deployment } = await seed()
      const [first] = await record(store, deployment, [{ event: eventInput('step.progress', T0, { n: 1 }), key: 'k-1' }])
      const [again] = await record(store, deployment, [{ event: eventInput('step.changed', T0 + 5 * SECOND, { n: 2 }), key: 'k-1' }])
      expect(again).toEqual({ id: first!.id, created: false })
      // The same content without the key, or under another key, is a new event.
      const [keyless, otherKey] = await record(store, deployment, [eventInput('step.progress', T0, { n: 1 }), { event: eventInput('step.progress', T0, { n: 1 }), key: 'k-2' }])
      expect([keyless!.created, otherKey!.created]).toEqual([true, true])
      const second = await seedDeployment(store, seeded)
      const [elsewhere] = await record(store, second, [{ event: eventInput('step.progress', T0, { n: 1 }), key: 'k-1' }])
      expect(elsewhere!.created).toBe(true)
      expect(elsewhere!.id).not.toBe(first!.id)
      const stored = await store.listEventsByArrival(deployment.id, 0, 10)
      expect(stored.map((e) => [e.arrival, e.eventType, e.payload])).toEqual([[1, 'step.progress', '{"n":1}'], [2, 'step.progress', '{"n":1}'], [3, 'step.progress', '{"n":1}']])
      expect(stored[0]!.id).toBe(first!.id)
    })

    test('retries within one group: the second of two equal events, keyed or not, is the first', async () => {
      const { store } = opened
      const { deployment } = await seed()
      const results = await record(store, deployment, [
        eventInput('step.progress', T0, { x: 1 }),
        { event: eventInput('step.a', T0, { y: 1 }), key: 'k' },
        eventInput('step.progress', T0, { x: 1 }),
        { event: eventInput('step.b', T0, { y: 2 }), key: 'k' },
      ])
      expect(results.map((r) => r.created)).toEqual([true, true, false, false])
      expect(results[2]!.id).toBe(results[0]!.id)
      expect(results[3]!.id).toBe(results[1]!.id)
      // Two inputs of one group, too.
      const outcomes = await recordInputs(store, [input(deployment, [eventInput('step.c', T0, {})]), input(deployment, [eventInput('step.c', T0, {})])])
      const [a, b] = outcomes.map((o) => (o.ok ? o.results[0]! : null))
      expect([a!.created, b!.created, b!.id === a!.id]).toEqual([true, false, true])
      expect(await store.lastArrival(deployment.id)).toBe(3)
      expect(await store.getEventCount(deployment.userId, deployment.id)).toBe(3)
    })

    test('a retry is recognised by another store on the same database', async () => {
      const { store } = opened
      const { deployment } = await seed()
      const [keyless, keyed] = await record(store, deployment, [eventInput('step.progress', T0, { a: 1, b: 2 }), { event: eventInput('step.k', T0, {}), key: 'key-1' }])
      const other = await opened.openAnother()
      const [r1, r2, r3] = await record(other, deployment, [eventInput('step.progress', T0, { b: 2, a: 1 }), { event: eventInput('step.z', T0, { other: true }), key: 'key-1' }, eventInput('step.new', T0, {})])
      expect(r1).toEqual({ id: keyless!.id, created: false })
      expect(r2).toEqual({ id: keyed!.id, created: false })
      expect(r3).toEqual({ id: expect.any(String), created: true, arrival: 3 })
      expect(arrivalsOf(await store.listEventsByArrival(deployment.id, 0, 10))).toEqual([1, 2, 3])
      expect((await store.listEventsByArrival(deployment.id, 0, 10))[2]!.id).toBe(r3!.id)
    })

    test('arrivals go 1, 2, 3 across groups; lastArrival and getEventCount follow; unknown is 0 and null', async () => {
      const { store } = opened
      const { deployment } = await seed()
      expect(await store.lastArrival(deployment.id)).toBe(0)
      expect(await store.getEventCount(deployment.userId, deployment.id)).toBe(0)
      const first = await record(store, deployment, [eventInput('step.a', T0 + 2 * SECOND), eventInput('step.b', T0)])
      const second = await record(store, deployment, [eventInput('step.c', T0 + SECOND)])
      expect([...first, ...second].map((r) => r.arrival)).toEqual([1, 2, 3])
      expect(await store.lastArrival(deployment.id)).toBe(3)
      expect(await store.getEventCount(deployment.userId, deployment.id)).toBe(3)
      expect(await store.getEventCount('user-nobody', deployment.id)).toBeNull()
      expect(await store.getEventCount(deployment.userId, 'dep-nothing')).toBeNull()
      expect(await store.lastArrival('dep-nothing')).toBe(0)
      const byArrival = await store.listEventsByArrival(deployment.id, 1, 10)
      expect(byArrival.map((e) => [e.arrival, e.eventType])).toEqual([[2, 'step.b'], [3, 'step.c']])
      expect(arrivalsOf(await store.listEventsByArrival(deployment.id, 0, 2))).toEqual([1, 2])
      const [one] = byArrival
      expect(one).toEqual({ seq: expect.any(Number), id: expect.any(String), eventType: 'step.b', eventTimestamp: T0, jobId: null, stepId: null, payload: '{}', createdAt: T0, arrival: 2 })
      expect(one!.id).toBe(first[1]!.id)
    })

    test('the list is in (event_timestamp, arrival) order, many events at one instant included, with positions, arrivedBy and offset', async () => {
      const { store } = opened
      const { deployment } = await seed()
      // 40 events: arrivals 1..40, instants T0 + (i % 3) seconds: ties of 13 or 14 events at each instant.
      const events = Array.from({ length: 40 }, (_, i) => eventInput('step.tick', T0 + ((i * 2) % 3) * SECOND, { i }))
      await record(store, deployment, events.slice(0, 25))
      await record(store, deployment, events.slice(25))
      const expected = events.map((e, i) => ({ t: e.timestamp, arrival: i + 1 })).sort((a, b) => a.t - b.t || a.arrival - b.arrival)
      const all = await store.listEvents(deployment.id, { limit: 100 })
      expect(all.map((e) => [e.eventTimestamp, e.arrival])).toEqual(expected.map((e) => [e.t, e.arrival]))
      expect(all.map((e) => JSON.parse(e.payload).i)).toEqual(expected.map((e) => e.arrival - 1))
      // Pages of 7 after the last position served give the same order, without repeats or gaps.
      const paged: number[] = []
      for (let page = await store.listEvents(deployment.id, { limit: 7 }); page.length; ) {
        paged.push(...arrivalsOf(page))
        const last = page[page.length - 1]!
        page = await store.listEvents(deployment.id, { limit: 7, after: { timestamp: last.eventTimestamp, arrival: last.arrival } })
      }
      expect(paged).toEqual(arrivalsOf(all))
      // A position whose event does not exist falls between those around it.
      const mid = await store.listEvents(deployment.id, { limit: 100, after: { timestamp: T0 + SECOND, arrival: 20 } })
      expect(arrivalsOf(mid)).toEqual(arrivalsOf(all.filter((e) => e.eventTimestamp > T0 + SECOND || (e.eventTimestamp === T0 + SECOND && e.arrival > 20))))
      expect(arrivalsOf(await store.listEvents(deployment.id, { limit: 5, offset: 10 }))).toEqual(arrivalsOf(all.slice(10, 15)))
      const arrived = await store.listEvents(deployment.id, { limit: 100, arrivedBy: 25 })
      expect(arrivalsOf(arrived)).toEqual(arrivalsOf(all.filter((e) => e.arrival <= 25)))
      expect(arrivalsOf(await store.listEvents(deployment.id, { limit: 3, arrivedBy: 25, after: { timestamp: T0, arrival: 10 } }))).toEqual(
        arrivalsOf(all.filter((e) => e.arrival <= 25 && (e.eventTimestamp > T0 || e.arrival > 10)).slice(0, 3)),
      )
      expect(await store.listEvents('dep-nothing', { limit: 10 })).toEqual([])
    })

    test('filters: type, prefix, step, since and until, in lists and counts', async () => {
      const { store } = opened
      const { deployment } = await seed()
      const specs: Array<[string, number, string | null]> = [
        ['transfer.started', 0, 's1'],
        ['transfer.done', 1, 's1'],
        ['transfers.other', 1, null],
        ['step.started', 2, 's2'],
        ['transfer.started', 3, 's2'],
        ['job.accepted', 3, null],
        ['transferx.started', 4, 's1'],
      ]
      await record(store, deployment, specs.map(([type, s, step], i) => eventInput(type, T0 + s * SECOND, { i }, step ? { step_id: step } : {})))
      const listed = async (f: Partial<EventFilter>, page: { limit?: number; offset?: number } = {}) =>
        (await store.listEvents(deployment.id, { filter: filter(f), limit: page.limit ?? 100, offset: page.offset ?? 0 })).map((e) => JSON.parse(e.payload).i)
      const cases: Array<[Partial<EventFilter>, number[]]> = [
        [{}, [0, 1, 2, 3, 4, 5, 6]],
        [{ type: 'transfer.started' }, [0, 4]],
        [{ typePrefix: 'transfer.' }, [0, 1, 4]],
        [{ stepId: 's1' }, [0, 1, 6]],
        [{ typePrefix: 'transfer.', stepId: 's2' }, [4]],
        [{ since: T0 + SECOND }, [1, 2, 3, 4, 5, 6]],
        [{ until: T0 + 3 * SECOND }, [0, 1, 2, 3]],
        [{ since: T0 + SECOND, until: T0 + 3 * SECOND, stepId: 's1' }, [1]],
        [{ type: 'nothing.here' }, []],
      ]
      for (const [f, expected] of cases) {
        expect(await listed(f)).toEqual(expected)
        expect(await store.countEvents(deployment.id, filter(f))).toBe(expected.length)
      }
      expect(await listed({ typePrefix: 'transfer.' }, { limit: 1, offset: 1 })).toEqual([1])
      expect(await listed({ stepId: 's1' }, { offset: 2 })).toEqual([6])
      const after = await store.listEvents(deployment.id, { filter: filter({ typePrefix: 'transfer.' }), after: { timestamp: T0 + SECOND, arrival: 2 }, limit: 10 })
      expect(after.map((e) => JSON.parse(e.payload).i)).toEqual([4])
      // A position before `since` starts at `since`.
      const early = await store.listEvents(deployment.id, { filter: filter({ since: T0 + 3 * SECOND }), after: { timestamp: T0, arrival: 1 }, limit: 10 })
      expect(early.map((e) => JSON.parse(e.payload).i)).toEqual([4, 5, 6])
      expect(await store.countEvents('dep-nothing', NO_EVENT_FILTER)).toBe(0)
    })

    test('job events move the deployment with their stamps, and each move is a change of the owner', async () => {
      const { store } = opened
      const { seeded, deployment } = await seed()
      const before = await store.lastChangeSeq(deployment.userId)
      const inputs: RecordEventsInput[] = [input(deployment, [eventInput('job.accepted', T0, {}), eventInput('step.progress', T0 + SECOND, { p: 1 })], T0 + 10)]
      const written = await store.writeEventGroup(inputs, (writes) => recordGroup(writes, inputs, new Map()))
      await written.durable
      const { changes, news } = written.value
      expect(changes).toHaveLength(1)
      expect(changes[0]!.seq).toBeGreaterThan(before)
      expect(changes[0]!.deployment).toMatchObject({ id: deployment.id, status: 'running', startedAt: T0 + 10, completedAt: null, eventCount: 2 })
      expect(news.map((n) => n.items.map((i) => i.kind))).toEqual([['event', 'status', 'event']])
      expect(await store.getReportTarget(deployment.userId, deployment.id)).toEqual({ status: 'running', mode: 'live', agentId: null, startedAt: T0 + 10, completedAt: null })
      expect(await store.lastChangeSeq(deployment.userId)).toBe(changes[0]!.seq)
      // Completed: the start stays, the end is stamped; a later job.failed is stored as late data.
      await record(store, deployment, [eventInput('job.completed', T0 + 2 * SECOND, {}), eventInput('job.failed', T0 + 3 * SECOND, {})], T0 + 20)
      expect(await store.getReportTarget(deployment.userId, deployment.id)).toEqual({ status: 'completed', mode: 'live', agentId: null, startedAt: T0 + 10, completedAt: T0 + 20 })
      const shown = await store.getDeployment(deployment.userId, deployment.id)
      expect(shown).toMatchObject({ status: 'completed', startedAt: T0 + 10, completedAt: T0 + 20, eventCount: 4 })
      expect((await store.listDeploymentChanges(deployment.userId, before, 10)).map((c) => [c.deployment.id, c.deployment.status, c.deployment.eventCount])).toEqual([[deployment.id, 'completed', 4]])
      // job.failed straight from pending: failed, stamped, never started.
      const other = await seedDeployment(store, seeded)
      await record(store, other, [eventInput('job.failed', T0, { reason: 'no power' })], T0 + 30)
      expect(await store.getReportTarget(deployment.userId, other.id)).toEqual({ status: 'failed', mode: 'live', agentId: null, startedAt: null, completedAt: T0 + 30 })
      expect(await store.getReportTarget('user-nobody', other.id)).toBeNull()
    })

    test('a terminal status writes its alert in the group’s transaction, showing the deployment as that change left it', async () => {
      const { store } = opened
      const { deployment } = await seed()
      await store.insertWebhook({ id: newId('webhook'), userId: deployment.userId, url: 'https://hooks.example.test/a', events: ['deployment.completed'], secret: 'shh', createdAt: T0 })
      const results = await record(store, deployment, [eventInput('job.accepted', T0, {}), eventInput('job.completed', T0 + SECOND, { reason: 'done', message: 7 }), eventInput('step.late', T0 + 2 * SECOND, {})], T0 + 5)
      // A rolled-back group writes no alert.
      const inputs = [input(deployment, [eventInput('job.failed', T0, {})])]
      await expect(store.writeEventGroup(inputs, () => { throw new Error('boom') })).rejects.toThrow('boom')
      const due = await store.claimDeliveries(T0 + 100 * SECOND, { limit: 10, busy: [], inFlight: new Map(), perUser: 10 }, T0 + 200 * SECOND)
      expect(due).toHaveLength(1)
      const body = JSON.parse(due[0]!.body)
      expect(body.event).toBe('deployment.completed')
      expect(body.data.event).toEqual({ id: results[1]!.id, type: 'job.completed', reason: 'done', message: null })
      expect(body.data.deployment).toMatchObject({ id: deployment.id, status: 'completed', mission_id: deployment.missionId, plan_label: 'Plan', event_count: 2 })
      expect(body.data.deployment.completed_at).toBe('2026-03-07T12:00:00.000005Z')
    })

    test('another user’s deployment is unknown (NOT_FOUND) and its input writes nothing; the group’s other inputs are stored', async () => {
      const { store } = opened
      const { deployment } = await seed()
      const stranger = await seedPlan(store)
      const theirs = await seedDeployment(store, stranger)
      const mine = input(deployment, [eventInput('job.accepted', T0, {})])
      const intruding: RecordEventsInput = { ...input(theirs, [eventInput('job.accepted', T0, {}), eventInput('step.x', T0, {})]), userId: deployment.userId }
      const missing: RecordEventsInput = { ...input(deployment, [eventInput('step.y', T0, {})]), deploymentId: newId('deployment') }
      const [ok, refused, unknown] = await recordInputs(store, [mine, intruding, missing])
      expect(ok!.ok).toBe(true)
      for (const outcome of [refused!, unknown!]) {
        expect(outcome.ok).toBe(false)
        expect(outcome.ok ? null : ((outcome.error as AppError).code ?? null)).toBe('NOT_FOUND')
      }
      expect(await store.lastArrival(theirs.id)).toBe(0)
      expect(await store.getEventCount(theirs.userId, theirs.id)).toBe(0)
      expect(await store.getReportTarget(theirs.userId, theirs.id)).toMatchObject({ status: 'pending', startedAt: null })
      expect(await store.getReportTarget(deployment.userId, deployment.id)).toMatchObject({ status: 'running' })
      expect(await store.getEventCount(deployment.userId, deployment.id)).toBe(1)
    })

    test('an error thrown by the group’s work rolls it back and reaches the caller as it is', async () => {
      const { store } = opened
      const { deployment } = await seed()
      const inputs = [input(deployment, [eventInput('job.accepted', T0, {})])]
      const boom = new Error('boom')
      const failing = store.writeEventGroup(inputs, (writes) => {
        recordGroup(writes, inputs, new Map())
        throw boom
      })
      await expect(failing).rejects.toBe(boom)
      expect(await store.lastArrival(deployment.id)).toBe(0)
      expect(await store.getReportTarget(deployment.userId, deployment.id)).toMatchObject({ status: 'pending' })
      // A retry of the rolled-back event is a new event.
      expect((await record(store, deployment, [eventInput('job.accepted', T0, {})]))[0]).toMatchObject({ created: true, arrival: 1 })
    })

    test('a big payload with \\u0000 and lone surrogate escapes is stored byte for byte, and its retry is recognised', async () => {
      const { store } = opened
      const { deployment } = await seed()
      const payload = { text: `a\u0000b\ud800c\udfffd"\\/`, nested: { big: 'é😀x'.repeat(8_000), list: [1.5, -0, 1e300, null, true] } }
      const event: EventInput = eventInput('data.blob', T0, payload)
      expect(event.payloadJson).toContain('\\u0000')
      expect(event.payloadJson).toContain('\\ud800')
      const [stored] = await record(store, deployment, [event, { event: eventInput('data.keyed', T0, payload), key: 'blob' }])
      const [listed, keyed] = await store.listEvents(deployment.id, { limit: 10 })
      expect(listed!.payload).toBe(event.payloadJson)
      expect(keyed!.payload).toBe(event.payloadJson)
      expect((await store.listEventsByArrival(deployment.id, 0, 1))[0]!.payload).toBe(event.payloadJson)
      const [again] = await record(store, deployment, [eventInput('data.blob', T0, payload)])
      expect(again).toEqual({ id: stored!.id, created: false })
      const other = await opened.openAnother()
      expect((await other.listEvents(deployment.id, { limit: 1 }))[0]!.payload).toBe(event.payloadJson)
      expect(await store.storedBytes(deployment.userId)).toBeGreaterThan(2 * Buffer.byteLength(event.payloadJson))
    })

    test('two stores writing groups to one deployment at once store every event once, arrivals 1..n without gaps', async () => {
      const { store } = opened
      const { deployment } = await seed()
      const other = await opened.openAnother()
      // 60 distinct events, each sent by both stores (in groups of 6, in opposite orders), some keyed.
      const events = Array.from({ length: 60 }, (_, i) => ({ event: eventInput('step.tick', T0 + (i % 4) * SECOND, { i }), key: i % 5 === 0 ? `key-${i}` : null }))
      const groupsOf = (list: typeof events) => Array.from({ length: 10 }, (_, g) => list.slice(g * 6, g * 6 + 6))
      const send = (s: Store, groups: Array<typeof events>) => Promise.all(groups.map((group, g) => recordInputs(s, [input(deployment, group, T0 + g)])))
      const [mine, theirs] = await Promise.all([send(store, groupsOf(events)), send(other, groupsOf([...events].reverse()))])
      const results = [...mine, ...theirs].flat().flatMap((o) => (o.ok ? o.results : []))
      expect(results).toHaveLength(120)
      expect(results.filter((r) => r.created)).toHaveLength(60)
      const stored = await store.listEventsByArrival(deployment.id, 0, 1000)
      expect(arrivalsOf(stored)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))
      expect(new Set(stored.map((e) => JSON.parse(e.payload).i)).size).toBe(60)
      expect(new Set(stored.map((e) => e.id)).size).toBe(60)
      // Every answer names the stored event of its content.
      const idOf = new Map(stored.map((e) => [JSON.parse(e.payload).i as number, e.id]))
      const answered = [...mine.flat(), ...theirs.flat()]
      const sent = [...groupsOf(events), ...groupsOf([...events].reverse())]
      answered.forEach((outcome, g) => outcome.ok && outcome.results.forEach((r, k) => expect(r.id).toBe(idOf.get(JSON.parse(sent[g]![k]!.event.payloadJson).i)!)))
      expect(await store.getEventCount(deployment.userId, deployment.id)).toBe(60)
      expect(await other.lastArrival(deployment.id)).toBe(60)
      expect(await store.countEvents(deployment.id, NO_EVENT_FILTER)).toBe(60)
    })

    test('groups naming two deployments in opposite orders from two stores at once all commit, with distinct change numbers', async () => {
      const { store } = opened
      const { seeded, deployment: a } = await seed()
      const b = await seedDeployment(store, seeded)
      const other = await opened.openAnother()
      const before = await store.lastChangeSeq(seeded.user.id)
      const group = (s: Store, first: Deployment, second: Deployment, g: number) => {
        const inputs = [first, second].map((d) => input(d, [eventInput(g === 0 ? 'job.accepted' : 'step.tick', T0 + g * SECOND, { g, from: s === store ? 1 : 2 })], T0 + g))
        return s.writeEventGroup(inputs, (writes) => recordGroup(writes, inputs, new Map())).then(async (w) => (await w.durable, w.value))
      }
      const written = await Promise.all(Array.from({ length: 8 }, (_, g) => [group(store, a, b, g), group(other, b, a, g)]).flat())
      const seqs = written.flatMap((w) => w.changes.map((c) => c.seq))
      // job.accepted moved each deployment once: two changes, whichever store stored it first.
      expect(new Set(seqs).size).toBe(seqs.length)
      expect(seqs.length).toBe(2)
      expect(Math.min(...seqs)).toBe(before + 1)
      for (const d of [a, b]) {
        expect(arrivalsOf(await store.listEventsByArrival(d.id, 0, 100))).toEqual(Array.from({ length: 16 }, (_, i) => i + 1))
        expect(await store.getReportTarget(d.userId, d.id)).toMatchObject({ status: 'running' })
      }
    })

    test('a replay’s cursor and end are stored with its events; replay_end completes it', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const { deployment } = await store.insertDeployment({
        id: newId('deployment'), userId: seeded.user.id, missionId: seeded.missionId, planId: seeded.planId, satelliteId: 'sat-1', status: 'running', mode: 'simulated',
        speedMultiplier: 1, agentId: null, createdAt: T0, dispatchedAt: null, startedAt: T0, completedAt: null, eventCount: 0, replayActive: true,
      })
      const tick = (cursor: number, finished: boolean, events: EventInput[]): RecordEventsInput => ({ ...input(deployment, events, T0 + cursor, { kind: 'replay' }), replay: { cursor, finished } })
      await recordInputs(store, [tick(2, false, [eventInput('plan.step', T0, { n: 1 }), eventInput('plan.step', T0 + SECOND, { n: 2 })])])
      expect((await store.listActiveReplays()).map((r) => [r.id, r.replayCursor, r.replayActive, r.status])).toEqual([[deployment.id, 2, true, 'running']])
      await recordInputs(store, [tick(3, true, [eventInput('plan.step', T0 + 2 * SECOND, { n: 3 })])])
      expect(await store.listActiveReplays()).toEqual([])
      expect(await store.getReportTarget(deployment.userId, deployment.id)).toEqual({ status: 'completed', mode: 'simulated', agentId: null, startedAt: T0, completedAt: T0 + 3 })
      expect(await store.getEventCount(deployment.userId, deployment.id)).toBe(3)
    })
  })
}
