// Writing one event group on PostgreSQL (Store.writeEventGroup; the use case is src/services/report-group.ts,
// the rules docs/api.md §3.1 and §3.3). `work` is synchronous while every read here is a round trip, so
// the transaction reads ahead what the group's scope names, runs `work` against that state in memory,
// then writes what it did in a few statements:
//   1. lock the scope's deployments, in id order (the lock order of every multi-row write: deployments
//      rows sorted by id, then the change_counters row);
//   2. read the stored events the scope's events could retry (by Idempotency-Key, or keyless by instant
//      and content digest), and take from events_seq as many seqs as the scope has events;
//   3. run `work`: retries are found among those candidates and the events added earlier in the group,
//      arrival numbers follow the locked row's last_arrival (so they follow commit order on every node);
//   4. flush: the new events in one INSERT (per thousand rows), the deployments in one UPDATE, the
//      terminal alerts, the notices to the other nodes (docs/streams.md "Several nodes"), and last the
//      owners' change numbers.
import { stopsReplay } from '../../domain/deployment'
import { canonicalPayload, contentDigest, isRetryOf, type EventContent, type EventInput } from '../../domain/event'
import { createEventIds } from '../../domain/ids'
import { eventSize } from '../../domain/quota'
import { deploymentAlertData, terminalAlert } from '../../domain/webhooks'
import type { Deployment, DeploymentChange, EventGroupWrites, GroupScope, RecordEventResult, ReportTarget, StatusCause } from '../types'
import { readChanges, readDeployment, takeChangeSeqs } from './deployment-rows'
import type { DeploymentStoreOptions } from './deployments'
import { isPostgresUnavailable } from './errors'
import { notifyNews } from './news'
import { int, intOrNull, transaction, type Sql } from './tx'

type Row = Record<string, unknown>

/** A deployment as the group's transaction has locked it and, so far, left it. */
class GroupTarget implements ReportTarget {
  status: Deployment['status']
  mode: Deployment['mode']
  agentId: string | null
  startedAt: number | null
  completedAt: number | null
  eventCount: number
  lastArrival: number
  storedBytes: number
  replayCursor: number
  replayActive: boolean
  /** Whether the group stored an event for it, moved its status, or its replay cursor: its row is written. */
  created = 0
  moved = false
  replayMoved = false
  readonly userId: string
  readonly deploymentId: string
  constructor(row: Row) {
    this.userId = row.user_id as string
    this.deploymentId = row.id as string
    this.status = row.status as Deployment['status']
    this.mode = row.mode as Deployment['mode']
    this.agentId = (row.agent_id as string | null) ?? null
    this.startedAt = intOrNull(row.started_at)
    this.completedAt = intOrNull(row.completed_at)
    this.eventCount = int(row.event_count)
    this.lastArrival = int(row.last_arrival)
    this.storedBytes = int(row.stored_bytes)
    this.replayCursor = int(row.replay_cursor)
    this.replayActive = int(row.replay_active) === 1
  }
}

/** A keyless event stored (or added by this group) that a report at its instant with its digest may retry. */
type Candidate = EventContent & { id: string }
/** A row of events to insert, by column (Bun's insert helper takes the columns from the keys). */
type NewEvent = {
  deployment_id: string
  arrival: number
  event_timestamp: number
  seq: number
  event_type: string
  job_id: string | null
  step_id: string | null
  idempotency_key: string | null
  created_at: number
  payload: string
  digest: number | null
}
/**
 * Rows per INSERT: 11 parameters each, well under PostgreSQL's 65 535. Each payload its own parameter:
 * measured on a shared test machine,
 * 2000 payloads of 7 KB went in 0.8 s so; as one text array, unnest() alone took 1.5 s to parse them.
 */
const ROWS_PER_INSERT = 1000
/** A terminal alert to write at flush, with the deployment's fields as the status change left them. */
type PendingAlert = { target: GroupTarget; event: NonNullable<ReturnType<typeof terminalAlert>>; now: number; cause?: StatusCause; state: Pick<Deployment, 'status' | 'startedAt' | 'completedAt' | 'eventCount'> }

const keySlot = (deploymentId: string, key: string) => `${deploymentId}\n${key}`
const contentSlot = (deploymentId: string, timestamp: number, digest: number) => `${deploymentId}\n${timestamp}\n${digest}`

/** What one run of the group's transaction reads ahead and then keeps in memory while `work` runs. */
type GroupState = {
  /** The scope's deployment ids: a target asked for outside them is a defect, not an unknown deployment. */
  scoped: Set<string>
  targets: Map<string, GroupTarget>
  /** Stored and added keyed events by (deployment, key): their ids. */
  keys: Map<string, string>
  /** Stored and added keyless events by (deployment, instant, digest). */
  contents: Map<string, Candidate[]>
  seqs: number[]
  nextSeq: number
  rows: NewEvent[]
  alerts: PendingAlert[]
  /** markChanged's answers, in call order, filled in at flush. */
  marked: Array<{ target: GroupTarget; change: DeploymentChange }>
}

export function createEventGroupWriter(sql: Sql, options: DeploymentStoreOptions) {
  const eventId = createEventIds(options.secret)
  /** Digests computed for the read-ahead, kept for append (the same event objects, in the same run). */
  const digests = new WeakMap<EventInput, number>()
  const digestOf = (event: EventInput) => {
    let digest = digests.get(event)
    if (digest === undefined) digests.set(event, (digest = contentDigest(event, event.canonical, options.secret)))
    return digest
  }

  /** Step 1: the scope's deployments, locked in id order. */
  async function lockTargets(tx: Sql, scope: readonly GroupScope[]): Promise<GroupState> {
    const scoped = new Set(scope.map((input) => input.deploymentId))
    const rows = (await tx`
      SELECT id, user_id, status, mode, agent_id, started_at, completed_at, event_count, last_arrival, stored_bytes, replay_cursor, replay_active
      FROM deployments WHERE id = ANY(${tx.array([...scoped], 'TEXT')}) ORDER BY id FOR UPDATE`) as Row[]
    const targets = new Map(rows.map((row) => [row.id as string, new GroupTarget(row)]))
    return { scoped, targets, keys: new Map(), contents: new Map(), seqs: [], nextSeq: 0, rows: [], alerts: [], marked: [] }
  }

  /** What the read-ahead looks for: the scope's keys and keyless contents on its known deployments, once each. */
  function retryProbes(scope: readonly GroupScope[], state: GroupState) {
    const keyed = { ids: [] as string[], keys: [] as string[], seen: new Set<string>() }
    const keyless = { ids: [] as string[], timestamps: [] as number[], digests: [] as number[], seen: new Set<string>() }
    let events = 0
    for (const input of scope) {
      const target = state.targets.get(input.deploymentId)
      events += input.events.length
      if (!target || target.userId !== input.userId) continue
      for (const { event, key } of input.events) {
        if (key !== null) {
          const slot = keySlot(input.deploymentId, key)
          if (keyed.seen.has(slot)) continue
          keyed.seen.add(slot)
          keyed.ids.push(input.deploymentId)
          keyed.keys.push(key)
        } else {
          const slot = contentSlot(input.deploymentId, event.timestamp, digestOf(event))
          if (keyless.seen.has(slot)) continue
          keyless.seen.add(slot)
          keyless.ids.push(input.deploymentId)
          keyless.timestamps.push(event.timestamp)
          keyless.digests.push(digestOf(event))
        }
      }
    }
    return { keyed, keyless, events }
  }

  /**
   * Step 2: the stored events the scope's events could retry, read after the lock (each statement of
   * READ COMMITTED sees every commit before it, so a retry another node committed is found), along
   * events_key_idx and events_retry_idx; keyless candidates come with their payload, compared in memory
   * (isRetryOf). Then the seqs the new events may take: one per event of the scope, unused ones skipped
   * (ids need only be unique).
   */
  async function readAhead(tx: Sql, scope: readonly GroupScope[], state: GroupState) {
    const { keyed, keyless, events } = retryProbes(scope, state)
    if (keyed.ids.length) {
      const rows = (await tx`
        SELECT e.deployment_id, e.idempotency_key, e.seq, e.created_at
        FROM unnest(${tx.array(keyed.ids, 'TEXT')}, ${tx.array(keyed.keys, 'TEXT')}) AS k(deployment_id, key)
        JOIN events e ON e.deployment_id = k.deployment_id AND e.idempotency_key = k.key
        WHERE e.idempotency_key IS NOT NULL`) as Row[]
      for (const row of rows) state.keys.set(keySlot(row.deployment_id as string, row.idempotency_key as string), eventId(int(row.created_at), int(row.seq)))
    }
    if (keyless.ids.length) {
      const rows = (await tx`
        SELECT e.deployment_id, e.event_timestamp, e.digest, e.seq, e.created_at, e.event_type, e.job_id, e.step_id, e.payload
        FROM unnest(${tx.array(keyless.ids, 'TEXT')}, ${tx.array(keyless.timestamps, 'INT8')}, ${tx.array(keyless.digests, 'INT8')}) AS k(deployment_id, ts, digest)
        JOIN events e ON e.deployment_id = k.deployment_id AND e.event_timestamp = k.ts AND e.digest = k.digest
        WHERE e.idempotency_key IS NULL
        ORDER BY e.arrival`) as Row[]
      for (const row of rows) {
        const candidate: Candidate = { id: eventId(int(row.created_at), int(row.seq)), type: row.event_type as string, jobId: (row.job_id as string | null) ?? null, stepId: (row.step_id as string | null) ?? null, payloadJson: row.payload as string }
        addCandidate(state, contentSlot(row.deployment_id as string, int(row.event_timestamp), int(row.digest)), candidate)
      }
    }
    if (events > 0) state.seqs = ((await tx`SELECT nextval('events_seq') AS seq FROM generate_series(1, ${events}::int4)`) as Row[]).map((row) => int(row.seq))
  }

  function addCandidate(state: GroupState, slot: string, candidate: Candidate) {
    const same = state.contents.get(slot)
    if (same) same.push(candidate)
    else state.contents.set(slot, [candidate])
  }

  /** The id of the event `event` retries (docs/api.md §3.1), stored or added by this group; null if none. */
  function findRetry(state: GroupState, target: GroupTarget, event: EventInput, key: string | null, canonical: (payloadJson: string) => string): string | null {
    if (key !== null) return state.keys.get(keySlot(target.deploymentId, key)) ?? null
    for (const candidate of state.contents.get(contentSlot(target.deploymentId, event.timestamp, digestOf(event))) ?? [])
      if (isRetryOf(candidate, event, canonical)) return candidate.id
    return null
  }

  /** Stores the event unless it retries one (EventGroupWrites.append): the next seq, the next arrival number. */
  function appendEvent(state: GroupState, t: GroupTarget, event: EventInput, key: string | null, now: number, canonical: (payloadJson: string) => string): RecordEventResult {
    const existing = findRetry(state, t, event, key, canonical)
    if (existing !== null) return { id: existing, created: false }
    if (state.nextSeq >= state.seqs.length) throw new Error('event group: more events appended than its scope has')
    const seq = state.seqs[state.nextSeq++]!
    const id = eventId(now, seq)
    // Under the deployment's row lock: arrival numbers follow commit order, without gaps.
    const arrival = ++t.lastArrival
    const digest = key === null ? digestOf(event) : null
    state.rows.push({
      deployment_id: t.deploymentId,
      arrival,
      event_timestamp: event.timestamp,
      seq,
      event_type: event.type,
      job_id: event.jobId,
      step_id: event.stepId,
      idempotency_key: key,
      created_at: now,
      payload: event.payloadJson,
      digest,
    })
    t.created++
    t.eventCount++
    t.storedBytes += eventSize(event)
    if (key !== null) state.keys.set(keySlot(t.deploymentId, key), id)
    else addCandidate(state, contentSlot(t.deploymentId, event.timestamp, digest!), { id, type: event.type, jobId: event.jobId, stepId: event.stepId, payloadJson: event.payloadJson })
    return { id, created: true, arrival }
  }

  /** Step 3: the writes `work` makes, against the state read ahead. */
  function groupWrites(state: GroupState): EventGroupWrites {
    const own = (target: ReportTarget) => target as GroupTarget
    /** Canonical payloads of stored candidates, computed once per group. */
    const canonicals = new Map<string, string>()
    const canonical = (payloadJson: string) => {
      let text = canonicals.get(payloadJson)
      if (text === undefined) canonicals.set(payloadJson, (text = canonicalPayload(payloadJson)))
      return text
    }
    return {
      target(userId, deploymentId) {
        if (!state.scoped.has(deploymentId)) throw new Error(`event group: deployment ${deploymentId} is not in the group's scope`)
        const target = state.targets.get(deploymentId)
        // Another user's deployment is unknown to this one (docs/api.md §3.1: 404).
        return target && target.userId === userId ? target : null
      },
      append: (target, event, key, now) => appendEvent(state, own(target), event, key, now, canonical),
      setStatus(target, to, stamps, now, cause) {
        const t = own(target)
        t.status = to
        if (stamps.includes('started_at')) t.startedAt ??= now
        if (stamps.includes('completed_at')) t.completedAt = now
        if (stopsReplay(to)) t.replayActive = false
        t.moved = true
        const event = terminalAlert(to)
        // The alert shows the deployment as this change leaves it, as on SQLite: its events so far.
        if (event) state.alerts.push({ target: t, event, now, cause, state: { status: t.status, startedAt: t.startedAt, completedAt: t.completedAt, eventCount: t.eventCount } })
      },
      lastArrival: (target) => own(target).lastArrival,
      setReplayCursor(target, cursor, finished) {
        const t = own(target)
        t.replayCursor = cursor
        if (finished) t.replayActive = false
        t.replayMoved = true
      },
      markChanged(target) {
        // Filled in at flush, once the change number is taken and the row written: the caller reads it
        // only after the commit (report-group.ts hands it to onDurable).
        const change = { seq: 0, deployment: null as unknown as Deployment }
        state.marked.push({ target: own(target), change })
        return change
      },
      // `work` makes no round trip; an error of PostgreSQL's own can only come from the flush.
      isStorageFailure: (error) => isPostgresUnavailable(error) || String((error as { code?: unknown } | null)?.code ?? '').startsWith('ERR_POSTGRES_'),
    }
  }

  /** Step 4a: the new events, a thousand rows to a statement; payloads as text exactly as received. */
  async function insertEvents(tx: Sql, rows: NewEvent[]) {
    for (let at = 0; at < rows.length; at += ROWS_PER_INSERT) await tx`INSERT INTO events ${tx(rows.slice(at, at + ROWS_PER_INSERT))}`
  }

  /** Step 4b: every deployment the group moved, in one statement (their rows are locked: the values are theirs). */
  async function updateTargets(tx: Sql, touched: GroupTarget[]) {
    if (touched.length === 0) return
    const column = <V>(of: (t: GroupTarget) => V) => touched.map(of)
    await tx`
      UPDATE deployments AS d SET event_count = u.event_count, last_arrival = u.last_arrival, stored_bytes = u.stored_bytes,
        status = u.status, started_at = u.started_at, completed_at = u.completed_at, replay_cursor = u.replay_cursor, replay_active = u.replay_active
      FROM unnest(${tx.array(column((t) => t.deploymentId), 'TEXT')}, ${tx.array(column((t) => t.eventCount), 'INT8')}, ${tx.array(column((t) => t.lastArrival), 'INT8')},
        ${tx.array(column((t) => t.storedBytes), 'INT8')}, ${tx.array(column((t) => t.status), 'TEXT')}, ${tx.array(column((t) => t.startedAt), 'INT8')},
        ${tx.array(column((t) => t.completedAt), 'INT8')}, ${tx.array(column((t) => t.replayCursor), 'INT8')}, ${tx.array(column((t) => (t.replayActive ? 1 : 0)), 'INT8')})
        AS u(id, event_count, last_arrival, stored_bytes, status, started_at, completed_at, replay_cursor, replay_active)
      WHERE d.id = u.id`
  }

  /** Step 4c: the terminal alerts (docs/alerts.md), each with the deployment as its status change left it. */
  async function writeAlerts(tx: Sql, alerts: PendingAlert[]) {
    for (const { target, event, now, cause, state } of alerts) {
      const deployment = await readDeployment(tx, target.userId, target.deploymentId)
      await options.alerts.write(tx, target.userId, event, () => deploymentAlertData({ ...deployment!, ...state }, cause), now)
    }
  }

  /**
   * Step 4d, last (lock order: the change_counters rows after every deployment row): each owner's next
   * change numbers, in the order markChanged was called, owners in id order; then the changes as left.
   */
  async function assignChanges(tx: Sql, marked: GroupState['marked']) {
    if (marked.length === 0) return
    const byUser = new Map<string, GroupState['marked']>()
    for (const entry of marked) {
      const same = byUser.get(entry.target.userId)
      if (same) same.push(entry)
      else byUser.set(entry.target.userId, [entry])
    }
    /** Each deployment's last number (one marked twice keeps the later). */
    const seqOf = new Map<string, number>()
    for (const userId of [...byUser.keys()].sort()) {
      const entries = byUser.get(userId)!
      const first = await takeChangeSeqs(tx, userId, entries.length)
      entries.forEach((entry, i) => seqOf.set(entry.target.deploymentId, first + i))
    }
    const ids = [...seqOf.keys()]
    await tx`
      UPDATE deployments AS d SET change_seq = u.seq, change_count = d.event_count
      FROM unnest(${tx.array(ids, 'TEXT')}, ${tx.array([...seqOf.values()], 'INT8')}) AS u(id, seq) WHERE d.id = u.id`
    const changes = new Map((await readChanges(tx, ids)).map((change) => [change.deployment.id, change]))
    for (const { target, change } of marked) Object.assign(change, changes.get(target.deploymentId)!)
  }

  async function flush(tx: Sql, state: GroupState) {
    const touched = [...state.targets.values()].filter((t) => t.created > 0 || t.moved || t.replayMoved)
    await insertEvents(tx, state.rows)
    await updateTargets(tx, touched)
    await writeAlerts(tx, state.alerts)
    // Delivered at commit, and only then: which arrival numbers each deployment got (they run on from its
    // last one, without a gap, within a group), whether its status moved, whether it took a change number.
    const marked = new Set<GroupTarget>(state.marked.map((m) => m.target))
    const news = touched
      .filter((t) => t.created > 0 || t.moved)
      .map((t) => ({ userId: t.userId, deploymentId: t.deploymentId, events: t.created > 0 ? { from: t.lastArrival - t.created + 1, to: t.lastArrival } : null, status: t.moved, changed: marked.has(t) }))
    await notifyNews(tx, options.nodeId, news)
    await assignChanges(tx, state.marked)
  }

  return async function writeEventGroup<T>(scope: readonly GroupScope[], work: (writes: EventGroupWrites) => T, onDurable?: (value: T) => void): Promise<{ value: T; durable: Promise<void> }> {
    // Run again from the start if it loses a deadlock (tx.ts): `work` then runs again on fresh state. If
    // `work` throws, its error leaves the transaction as it is (InputFailure must reach reports.ts).
    // Boxed: Bun's begin() would take an array returned as queries to run.
    const { value } = await transaction(sql, async (tx) => {
      const state = await lockTargets(tx, scope)
      await readAhead(tx, scope, state)
      const result = work(groupWrites(state))
      await flush(tx, state)
      return { value: result }
    })
    // synchronous_commit is on: committed is durable. Told in the order this node's commits finished; a
    // callback that throws is its own problem (as on SQLite), not the group's, which is stored.
    if (onDurable) queueMicrotask(() => onDurable(value))
    return { value, durable: Promise.resolve() }
  }
}
