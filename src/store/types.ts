// The storage interface: what the rest of the server may ask of a database, one interface per resource with
// the obligations every backend keeps written on it. Routes and services see only this; src/store/sqlite/
// implements it on bun:sqlite and src/store/postgres/ on PostgreSQL (docs/postgres.md); src/store/open.ts
// picks one. Methods are async so that a networked backend fits without touching callers.
import type { DeploymentMode, DeploymentStatus, StampedField } from '../domain/deployment'
import type { EventInput } from '../domain/event'
import type { AuditAction, AuditActor, AuditEntry } from '../domain/audit'
import type { AgentStatus } from '../domain/agent'
import type { DeliveryState } from '../domain/webhooks'
import type { KeyEnvironment, KeyScope, Role } from '../domain/accounts'
import type { AlertEvent, DeliveryEvent } from '../domain/webhooks'

/** `disabledAt`: set while an admin has disabled the user (docs/api.md §1): no login, no session, no key. */
export type User = { id: string; email: string; name: string | null; role: Role; createdAt: number; disabledAt: number | null }
/** What PATCH /api/users/{id} may change (docs/api.md §1). */
export type UserChange = { role?: Role; disabled?: boolean }
/** One stored audit record (docs/api.md §1 "Audit"). */
export type AuditRecord = AuditEntry & { seq: number }
/** A page of the audit log, newest first by (at, seq), after `after`, with its filters (null: none). */
export type AuditPage = { limit: number; after: { at: number; seq: number } | null; actorId: string | null; action: AuditAction | null }
export type UserWithPassword = User & { passwordHash: string }
export type Session = { id: string; userId: string; secretHash: string; createdAt: number; expiresAt: number }
export type ApiKey = {
  id: string
  userId: string
  name: string
  prefix: string
  environment: KeyEnvironment
  /** What the key may do (docs/api.md §1 "Key scopes"). */
  scope: KeyScope
  createdAt: number
  lastUsedAt: number | null
  revokedAt: number | null
}
export type Mission = { id: string; userId: string; name: string; description: string | null; createdAt: number }
export type Plan = {
  id: string
  userId: string
  missionId: string
  label: string
  satelliteId: string
  satelliteName: string | null
  preset: string | null
  eventCount: number
  createdAt: number
  /** Set while the plan is archived (docs/api.md §5 "Archiving a plan"): hidden from the default list. */
  archivedAt: number | null
}
export type PlanWithData = Plan & { planData: string }
/**
 * Which rows a list shows by their archive state (docs/lists.md "Archived"): the unarchived ones (the
 * default), all of them, or only the archived ones.
 */
export const ARCHIVE_FILTERS = ['exclude', 'include', 'only'] as const
export type ArchiveFilter = (typeof ARCHIVE_FILTERS)[number]
export type Deployment = {
  id: string
  userId: string
  missionId: string
  planId: string
  satelliteId: string
  status: DeploymentStatus
  mode: DeploymentMode
  speedMultiplier: number
  agentId: string | null
  createdAt: number
  dispatchedAt: number | null
  startedAt: number | null
  completedAt: number | null
  eventCount: number
  missionName: string
  planLabel: string
  /** Set while the (terminal) deployment is archived (docs/api.md §2.2): hidden from the default list. */
  archivedAt: number | null
}
export type StoredEvent = {
  seq: number
  id: string
  eventType: string
  eventTimestamp: number
  jobId: string | null
  stepId: string | null
  /** JSON text, served as it is. */
  payload: string
  createdAt: number
  /** The event's position in its deployment's arrival order (1, 2, 3, …). */
  arrival: number
}

export type Agent = {
  userId: string
  id: string
  satelliteId: string | null
  satelliteName: string | null
  agentVersion: string | null
  orbitAltitudeKm: number | null
  status: AgentStatus
  registeredAt: number | null
  lastSeenAt: number
  lastHeartbeatAt: number | null
  /** JSON text of the latest sample. */
  lastTelemetry: string | null
  /** First contact: the list order. */
  createdAt: number
  /** When the agent was found lost (docs/operations.md "Lost agents"); null while it is seen. */
  lostAt: number | null
}
/** An agent by its key. */
export type AgentRef = { userId: string; id: string }
/** Telemetry samples kept per agent: the newest this many (docs/lists.md)... */
export const TELEMETRY_KEPT = 1000
/** ...plus fewer than this many newer ones: older samples are deleted at every this-many-th sample. */
export const TELEMETRY_PRUNE_EVERY = 100
/** One kept telemetry sample (agent_telemetry): `seq` orders samples received in the same microsecond. */
export type TelemetryRow = { seq: number; receivedAt: number; /** JSON text, as stored. */ sample: string }
/** A page of an agent's samples, newest first by (received_at, seq), starting just after `after`. */
export type TelemetryPage = { limit: number; after: { receivedAt: number; seq: number } | null }
export type AgentRegistration = Partial<Pick<Agent, 'satelliteId' | 'satelliteName' | 'agentVersion' | 'orbitAltitudeKm'>>

/** A user's webhook (docs/api.md §1 "Webhooks"); `secret` signs its deliveries. */
export type Webhook = { id: string; userId: string; url: string; events: AlertEvent[]; secret: string; createdAt: number }
/** One row of a webhook's outbox and delivery log. `id` is the one its body carries. */
export type WebhookDelivery = {
  seq: number
  id: string
  webhookId: string
  event: DeliveryEvent
  createdAt: number
  state: DeliveryState
  attempts: number
  nextAttemptAt: number | null
  lastAttemptAt: number | null
  lastStatus: number | null
  lastError: string | null
}
/** A delivery handed to the sender: its body, and where and with what key to send it. */
export type DueDelivery = { seq: number; webhookId: string; userId: string; body: string; createdAt: number; attempts: number; url: string; secret: string }
/** What the sender has room for (Store.claimDeliveries). */
export type ClaimRoom = {
  /** Free send slots. */
  limit: number
  /** Webhooks with a send in flight. */
  busy: readonly string[]
  /** Sends in flight per user id (users with none may be left out). */
  inFlight: ReadonlyMap<string, number>
  /** The most sends in flight a user may have. */
  perUser: number
}
/** What one attempt came to: delivered (a 2xx), or not, with the status (null: no answer) and why. */
export type AttemptOutcome = { delivered: true; status: number } | { delivered: false; status: number | null; error: string }

/** Where a newest-first list stands: the sort key of the last row already served. */
export type SortKey = { createdAt: number; id: string }
/**
 * A page of a newest-first list: at most `limit` rows in (created_at DESC, id DESC) order — unique, so
 * pages never skip or repeat a row — starting just after `after` (from the first row when null).
 */
export type PageQuery = { limit: number; after: SortKey | null }

/**
 * Which of a deployment's events a list or an export reads (docs/events.md): a type exactly or by prefix
 * (`prefix` ends with a dot: `transfer.`), a step, and an instant range [since, until). Null: no filter.
 */
export type EventFilter = { type: string | null; typePrefix: string | null; stepId: string | null; since: number | null; until: number | null }
export const NO_EVENT_FILTER: EventFilter = { type: null, typePrefix: null, stepId: null, since: null, until: null }
/** A place in a deployment's list order: an instant, and an arrival number among the events at it. */
export type EventPosition = { timestamp: number; arrival: number }
/**
 * A page of a deployment's events in list order (event_timestamp, then arrival): the filter's matches
 * after `after` (from the first when absent) that arrived by `arrivedBy` (an arrival number; all when
 * absent), `offset` of them skipped, at most `limit`.
 */
export type EventPage = { filter?: EventFilter; after?: EventPosition | null; arrivedBy?: number | null; offset?: number; limit: number }

/** A page of the deployments list: newest first, as PageQuery, with its filters (null: no filter). */
export type DeploymentPage = PageQuery & {
  statuses: DeploymentStatus[] | null
  missionId: string | null
  mode: DeploymentMode | null
  satelliteId: string | null
  /** Archived deployments: left out (the default), included, or alone. */
  archived: ArchiveFilter
}
export const NO_DEPLOYMENT_FILTER = { statuses: null, missionId: null, mode: null, satelliteId: null, archived: 'exclude' } satisfies Omit<DeploymentPage, keyof PageQuery>

/** A simulated deployment's replay, as the scheduler needs it. */
export type ReplayState = {
  id: string
  userId: string
  planId: string
  status: Deployment['status']
  startedAt: number | null
  speedMultiplier: number
  replayCursor: number
  /** Whether plan events remain to be stored (a job.completed mid-plan does not end the replay). */
  replayActive: boolean
}

/**
 * Who reports an event: an agent (checked against the deployment), the server's own replay, or the server
 * itself failing a deployment it cannot go on with (docs/api.md §2.1).
 */
export type Reporter = { kind: 'agent'; agentId: string } | { kind: 'replay' } | { kind: 'server' }

export type RecordEventsInput = {
  userId: string
  deploymentId: string
  reporter: Reporter
  /**
   * `key`: the Idempotency-Key, which then decides identity instead of the content (docs/api.md §3.1).
   * `staged`: what stagePayloads returned for the event, if it was called.
   */
  events: Array<{ event: EventInput; key: string | null; staged?: number | null }>
  now: number
  /** Replay progress, stored in the same transaction: the next plan event's index, and whether none is left. */
  replay?: { cursor: number; finished: boolean }
}
/** What one input of an event group names: its deployment and its events (Store.writeEventGroup's scope). */
export type GroupScope = Pick<RecordEventsInput, 'userId' | 'deploymentId' | 'events'>
/** `arrival`: the new event's position in its deployment's arrival order (docs/api.md §3.3); absent for a retry. */
export type RecordEventResult = { id: string; created: boolean; arrival?: number }
export type GroupOutcome = { ok: true; results: RecordEventResult[] } | { ok: false; error: unknown }

/** What a report is checked against and what its events move. */
export type ReportState = Pick<Deployment, 'status' | 'mode' | 'agentId' | 'startedAt' | 'completedAt'>

/**
 * One deployment as an event group's transaction sees it: its state as the group has left it so far. The
 * store makes it (EventGroupWrites.target) and keeps its own bookkeeping on it; callers read the fields
 * and change them only through EventGroupWrites.
 */
export type ReportTarget = ReportState & { readonly userId: string; readonly deploymentId: string }

/**
 * The writes of one event group, all inside its transaction (Store.writeEventGroup). Synchronous: the
 * transaction holds the write lock, and nothing else runs until it ends.
 */
export interface EventGroupWrites {
  /** The deployment, read once per group and then kept current; null when unknown or not the user's. */
  target(userId: string, deploymentId: string): ReportTarget | null
  /**
   * Stores the event unless it retries one stored before (docs/api.md §3.1: same content, or same key): its id,
   * whether it was created, and its arrival number if so. `staged`: the key its payload was written ahead
   * under (Store.stagePayloads), which a retry gives back. Counts the deployment's events.
   */
  append(target: ReportTarget, event: EventInput, key: string | null, now: number, staged: number | null): RecordEventResult
  /**
   * Moves the deployment (a transition of src/domain/deployment.ts), stamping the fields it names. `cause`:
   * the stored event that moved it, if one did (a terminal status's webhook alert names it).
   */
  setStatus(target: ReportTarget, to: DeploymentStatus, stamps: readonly StampedField[], now: number, cause?: StatusCause): void
  /** The deployment's last arrival number so far (0 before its first event). */
  lastArrival(target: ReportTarget): number
  /** Stores a simulated deployment's replay progress: the next plan event's index, and whether none is left. */
  setReplayCursor(target: ReportTarget, cursor: number, finished: boolean): void
  /**
   * Gives the deployment the next number of its owner's change sequence (docs/api.md §3.3) and returns it as
   * the list shows it, in the state this transaction leaves it.
   */
  markChanged(target: ReportTarget): DeploymentChange
  /** Whether an error thrown inside the transaction is the storage's own (disk full, locked, I/O). */
  isStorageFailure(error: unknown): boolean
}

/** The event that moved a deployment's status. */
export type StatusCause = { eventId: string; eventType: string; payload: Readonly<Record<string, unknown>> }

/** A deployment at one point of its owner's change sequence: what GET /api/deployments/stream sends. */
export type DeploymentChange = { seq: number; deployment: Deployment }
/**
 * What another node committed for a deployment (Store.watchOtherNodes): where to read it from the store.
 * `events`: the arrival numbers it stored (from..to), null when none; `status`: its status moved;
 * `changed`: it took a number of its owner's change sequence (the list stream).
 */
export type NodeNews = { userId: string; deploymentId: string; events: { from: number; to: number } | null; status: boolean; changed: boolean }
/** A poll's outcome: nothing waits, a deployment was handed out, or the oldest one's workload could not be built. */
export type DispatchResult<T> =
  | { kind: 'none' }
  | { kind: 'dispatched'; value: T; change: DeploymentChange }
  | { kind: 'unbuildable'; deployment: Deployment; error: unknown }

/** Which backend a store is, and the schema it knows (GET /healthz, `--version`, backups). */
export type StoreSchema = { backend: 'sqlite' | 'postgres'; /** The latest migration's tag. */ version: string; migrations: number }

/**
 * The database as a whole: its health, the versions credential caches compare, counts for GET /metrics, and the
 * news of other nodes. `authVersion` and `sessionVersion` are moved by the database itself (triggers in each
 * backend's migrations), not by this code, so a change made by any process — another node, the command line,
 * sqlite3 or psql — counts.
 */
export interface SystemStore {
  readonly schema: StoreSchema
  /** Throws when the database does not answer. */
  ping(): Promise<void>
  /**
   * A number that changes whenever an API key or a user changes, whoever changed it (this server, the
   * admin CLI, sqlite3): in-memory credential caches compare it before trusting themselves. Cheap enough
   * to ask on every request.
   */
  authVersion(): Promise<number>
  /**
   * Whether other servers write credentials to this database (PostgreSQL's nodes): then the auth version is
   * read on every request. Otherwise (SQLite) only this server changes them through its own code, and other
   * processes (the command line, sqlite3) rarely: the auth service reads it at most every 100 ms
   * (src/auth/service.ts, docs/auth.md "Remembered keys").
   */
  readonly credentialsSharedWithNodes: boolean
  /** A number that changes whenever a session is deleted, by any process (open streams recheck theirs). */
  sessionVersion(): Promise<number>
  /**
   * How many deployments and agents there are in each status, over every user (GET /metrics): one
   * GROUP BY each, read at scrape time. Statuses with none are left out.
   */
  countByStatus(): Promise<{ deployments: Record<string, number>; agents: Record<string, number> }>
  /** The database file and its WAL, in bytes (0 for a file that does not exist, or in memory). */
  fileSizes(): { database: number; wal: number }
  /** Closes the database; SQLite's is done when this returns, PostgreSQL's pool once the promise settles. */
  close(): Promise<void>
  /**
   * Writes a consistent snapshot of the database, off the event loop, to a new file beside it (mode 0600)
   * and answers its path: the caller streams it and deletes it. One at a time: a second call while one
   * runs is refused (CONFLICT).
   */
  backup(): Promise<string>
  /**
   * Whether an error this store threw means the database cannot take the request now (disk full, locked,
   * read-only, unreachable), which the API answers 503 UNAVAILABLE, rather than a defect (500).
   */
  isUnavailable(error: unknown): boolean
  /**
   * Calls `onNews` whenever another node commits what a live stream shows (docs/streams.md "Several
   * nodes"): events stored, a status moved, a deployment of the owner's list changed. At most a bounded
   * delay after the commit; a node's own commits are not told. `onRewatched`: the watch was lost (the
   * connection dropped) and made again, and news may have been missed meanwhile. Answers a function that
   * stops watching.
   * SQLite: one server writes the file, so there is nothing to tell.
   */
  watchOtherNodes(onNews: (news: NodeNews) => void, onRewatched?: () => void): Promise<() => Promise<void>>
}

/**
 * Users, sessions and API keys (docs/api.md §1). Keys and sessions are found by the SHA-256 of their secret, never
 * by the secret. An email is unique, compared lowercased; a second insert of one is CONFLICT, also when two nodes
 * insert it at once.
 */
export interface AccountStore {

  countUsers(): Promise<number>
  /**
   * Throws CONFLICT when the email is taken. Every write below that takes an `audit` entry writes it in its
   * own transaction (docs/api.md §1 "Audit"): the action is never stored without its record, nor the
   * record without the action. Null: nothing to record (tests, internal housekeeping).
   */
  insertUser(user: Omit<UserWithPassword, 'disabledAt'>, audit: AuditEntry | null): Promise<User>
  getUserByEmail(email: string): Promise<UserWithPassword | null>
  getUserById(id: string): Promise<User | null>
  getPasswordHash(userId: string): Promise<string | null>
  /**
   * Sets the user's password hash and, in the same transaction, deletes every session of the user except
   * `keepSessionId` (null: all of them), so no old session outlives the password it was opened with.
   */
  updatePasswordHash(userId: string, passwordHash: string, keepSessionId: string | null, audit: AuditEntry | null): Promise<void>
  listUsers(page: PageQuery): Promise<User[]>
  /**
   * Changes a user's role and whether they are disabled, in one transaction that also records each change
   * (userChangeEntries in src/domain/audit.ts) as `actor`. Disabling deletes every session of the user.
   * Throws NOT_FOUND for an unknown id, CONFLICT when the change would leave no active (not disabled) admin.
   */
  updateUser(id: string, change: UserChange, actor: AuditActor): Promise<User>

  insertSession(session: Session, audit: AuditEntry | null): Promise<void>
  getSession(id: string): Promise<Session | null>
  extendSession(id: string, expiresAt: number): Promise<void>
  deleteSession(id: string, audit: AuditEntry | null): Promise<void>
  /** Deletes up to `limit` sessions expired at `now` and returns how many it deleted. */
  deleteExpiredSessions(now: number, limit: number): Promise<number>

  insertApiKey(key: ApiKey & { keyHash: string }, audit: AuditEntry | null): Promise<void>
  getApiKeyByHash(keyHash: string): Promise<ApiKey | null>
  listApiKeys(userId: string, page: PageQuery): Promise<ApiKey[]>
  /** Revokes once (recording `audit` then); a second revoke returns the key as it is. Null when unknown or not the user's. */
  revokeApiKey(userId: string, id: string, now: number, audit: AuditEntry | null): Promise<ApiKey | null>
  touchApiKey(id: string, now: number): Promise<void>
}

/**
 * The audit log (docs/api.md §1 "Audit"): records are written by the store method of the action, in its transaction;
 * `seq` is unique across every process writing the database and orders records of one instant.
 */
export interface AuditStore {

  /** Writes one record on its own: what has no stored change to go with (a failed login, a backup). */
  recordAudit(entry: AuditEntry): Promise<void>
  /** A page of the audit log, newest first (GET /api/audit). */
  listAudit(page: AuditPage): Promise<AuditRecord[]>
  /** Retention: deletes up to `limit` of the oldest records written before `cutoff`; returns how many. */
  pruneAudit(cutoff: number, limit: number): Promise<number>
}

/**
 * Missions and plans (docs/api.md §5). Plan data is text exactly as received.
 */
export interface CatalogStore {

  insertMission(mission: Mission): Promise<void>
  listMissions(userId: string, page: PageQuery): Promise<Mission[]>
  getMission(userId: string, id: string): Promise<Mission | null>

  insertPlan(plan: Omit<PlanWithData, 'archivedAt'>): Promise<void>
  /** `missionId`: only that mission's plans. `archived`: which by their archive state (default: the unarchived ones). */
  listPlans(userId: string, missionId: string | null, page: PageQuery, archived?: ArchiveFilter): Promise<Plan[]>
  getPlan(userId: string, id: string): Promise<PlanWithData | null>
  /**
   * Archives the plan (`archived` true; one already archived keeps its archived_at) or restores it
   * (docs/api.md §5 "Archiving a plan"); null when unknown or not the user's.
   */
  setPlanArchived(userId: string, id: string, archived: boolean, now: number): Promise<Plan | null>
}

/**
 * Deployments (docs/api.md §2) and the owner's change sequence (§3.3): every change of a deployment in its owner's
 * list takes the owner's next number, strictly increasing in commit order whichever process committed it (SQLite:
 * one writer at a time; PostgreSQL: a counter row locked until commit). Status moves come from
 * src/domain/deployment.ts (decideTransition), never from the store's own rules.
 */
export interface DeploymentStore {

  /** `replayActive`: a simulated deployment inserted already started (see ReplayState). */
  /** `onDurable`, like every write's below: told once the write is durable, in commit order with all the others. */
  insertDeployment(deployment: Omit<Deployment, 'missionName' | 'planLabel' | 'archivedAt'> & { replayActive: boolean }, onDurable?: (change: DeploymentChange) => void): Promise<DeploymentChange>
  listDeployments(userId: string, page: DeploymentPage): Promise<Deployment[]>
  getDeployment(userId: string, id: string): Promise<Deployment | null>
  /** Throws NOT_FOUND, or CONFLICT when the deployment is already terminal. Answers once the cancel is durable. */
  cancelDeployment(userId: string, id: string, now: number, audit: AuditEntry | null, onDurable?: (change: DeploymentChange) => void): Promise<DeploymentChange>
  /**
   * Archives a terminal deployment (`archived` true; one already archived keeps its archived_at) or
   * restores it (docs/api.md §2.2). A change of the flag is a change of the owner's sequence
   * (the list stream sends it). Throws NOT_FOUND, or CONFLICT when archiving one not terminal. Answers
   * once durable.
   */
  setDeploymentArchived(userId: string, id: string, archived: boolean, now: number, onDurable?: (change: DeploymentChange) => void): Promise<DeploymentChange>
  /**
   * The owner's deployments changed after change `afterSeq`, in change order, at most `limit`; each in its
   * latest state (docs/api.md §3.3 GET /api/deployments/stream).
   */
  listDeploymentChanges(userId: string, afterSeq: number, limit: number): Promise<DeploymentChange[]>
  /** The owner's latest change number (0 when none). */
  lastChangeSeq(userId: string): Promise<number>
  /**
   * Gives each of these deployments (their event counts moved) the next change number of its owner, in
   * one transaction, and returns them as changed; unknown ids are skipped. Answers once durable.
   */
  markDeploymentsChanged(ids: string[], onDurable?: (changes: DeploymentChange[]) => void): Promise<DeploymentChange[]>
  /** Resolves once everything committed so far is durable: what a reader saw may not be on disk yet. */
  whenDurable(): Promise<void>
  /** What the user's stored events take (src/domain/quota.ts eventSize, summed; docs/operations.md "Quotas"). */
  storedBytes(userId: string): Promise<number>

  /**
   * Atomically hands the oldest pending live deployment of this user for one of these satellites to the
   * agent (status dispatched): two agents polling at once never get the same one. `prepare` builds what
   * the agent will receive, given the deployment as dispatched, inside the same transaction: if it throws,
   * nothing is written and the deployment comes back as unbuildable (the caller fails it).
   */
  dispatchNext<T>(
    userId: string,
    agentId: string,
    satelliteIds: string[],
    now: number,
    prepare: (deployment: Deployment, planData: string) => T,
    onDurable?: (change: DeploymentChange) => void,
  ): Promise<DispatchResult<T>>

  /** Replays that still have plan events to store. */
  listActiveReplays(): Promise<ReplayState[]>
  /**
   * The replays this node is to play (docs/postgres.md "Replays"): every active replay whose lease has run
   * out (its node died or stopped) or that this node holds is leased to this node until `until`, and
   * returned. A replay created on this node is leased to it at creation. SQLite (one node): every active replay.
   */
  leaseReplays(now: number, until: number): Promise<ReplayState[]>
}

/**
 * A deployment's events (docs/api.md §3, docs/events.md).
 * - An event's id derives from its created_at and its seq, keyed by the database's own secret (meta.event_id_secret,
 *   src/domain/ids.ts createEventIds): the same on every node and after every restart, and the secret travels
 *   with the data (a backup, a dump). `seq` is unique across every process writing the database.
 * - Arrival numbers run 1, 2, 3… per deployment without gaps, assigned in commit order (under the write lock on
 *   SQLite, under the deployment's row lock on PostgreSQL), and are never reused, also after retention.
 * - List order is (event_timestamp, arrival): ties of one instant follow arrival, never a storage order (rowid).
 * - The reads that take a deployment id alone (listEventsByArrival, listEvents, countEvents, lastArrival) check
 *   no owner: the caller has checked the deployment is the user's (getDeployment, getReportTarget) first.
 */
export interface EventStore {

  /** The state a report is checked against (docs/api.md §3.1), or null when the deployment is unknown or not the user's. */
  getReportTarget(userId: string, deploymentId: string): Promise<ReportState | null>
  /**
   * Runs `work` in one write transaction, given the writes an event group may make (EventGroupWrites),
   * and answers once the transaction has committed: its value, and `durable`, which settles when the
   * commit is on disk (it rejects with 503 UNAVAILABLE when the flush failed). If `work` throws, nothing
   * is written and this rejects with that error. The use case itself — checks, transitions, failures of
   * one input — is src/services/report-group.ts.
   *
   * `scope`: the deployments and events `work` will touch, and no others. `work` is synchronous, so a
   * backend whose reads are round trips (PostgreSQL) locks and reads what the scope names before it runs
   * (the deployments, in id order, then the stored events they could retry); SQLite reads as asked.
   */
  writeEventGroup<T>(scope: readonly GroupScope[], work: (writes: EventGroupWrites) => T, onDurable?: (value: T) => void): Promise<{ value: T; durable: Promise<void> }>
  /**
   * Writes a large input's big payloads ahead of its group, a little at a time, so that no single
   * transaction holds the server long (docs/limits.md): per event, a key to pass as `staged`, or null.
   * Whatever an input does not end up storing must be given to dropStagedPayloads.
   */
  stagePayloads(events: EventInput[]): Promise<Array<number | null>>
  /** Deletes staged payloads that no stored event refers to; the others are left alone. */
  dropStagedPayloads(staged: Array<number | null>): Promise<void>
  /** The deployment's events after arrival number `after`, in arrival order, at most `limit` (docs/api.md §3.3 stream). */
  listEventsByArrival(deploymentId: string, after: number, limit: number): Promise<StoredEvent[]>
  /**
   * A page of the deployment's events in list order: event_timestamp, then arrival. Continuing after a
   * position costs the same at any depth (one index probe, then one range read); `offset` costs what it skips.
   */
  listEvents(deploymentId: string, page: EventPage): Promise<StoredEvent[]>
  /** How many of the deployment's events match: time proportional to the matches' instant range. */
  countEvents(deploymentId: string, filter: EventFilter): Promise<number>
  /** The arrival number of the deployment's latest event, 0 when it has none: every event up to it is committed. */
  lastArrival(deploymentId: string): Promise<number>
  /** The deployment's event count, or null when it is unknown or not the user's. */
  getEventCount(userId: string, deploymentId: string): Promise<number | null>
}

/**
 * Agents, named by themselves per user (docs/api.md §4), and their telemetry. Two processes meeting a new agent
 * at once both succeed (an upsert).
 */
export interface AgentStore {

  /** Creates the agent on its first request and moves last_seen_at. */
  touchAgent(userId: string, agentId: string, now: number): Promise<Agent>
  /** Upserts the agent; fields left undefined keep their stored value. */
  registerAgent(userId: string, agentId: string, fields: AgentRegistration, now: number): Promise<Agent>
  /**
   * Keeps a telemetry sample and updates the agent's status and last_heartbeat_at. Keeps only the agent's
   * newest samples: never more than TELEMETRY_KEPT + TELEMETRY_PRUNE_EVERY - 1.
   */
  recordTelemetry(userId: string, agentId: string, sample: { status?: AgentStatus; json: string }, now: number): Promise<void>
  listAgents(userId: string, page: PageQuery): Promise<Agent[]>
  /**
   * Deletes the agent and its telemetry samples (docs/api.md §4 "Deleting an agent"); its deployments keep
   * their agent_id. False when unknown or another user's. Answers once durable.
   */
  deleteAgent(userId: string, agentId: string): Promise<boolean>
  /**
   * Agents not yet lost and not seen since before `cutoff`, in key order after `after` (null: from the
   * first), at most `limit` (docs/operations.md "Lost agents").
   */
  listSilentAgents(cutoff: number, after: AgentRef | null, limit: number): Promise<Array<AgentRef & { lastSeenAt: number }>>
  /** The ids of the user's deployments dispatched to this agent and still dispatched or running. */
  listAgentLiveDeployments(userId: string, agentId: string): Promise<string[]>
  /**
   * Sets lost_at to `now` if the agent is still not lost and still not seen since before `cutoff`
   * (a request since the listing keeps it found); whether it did. Answers once durable.
   */
  markAgentLost(userId: string, agentId: string, cutoff: number, now: number): Promise<boolean>
  /** The user's agent, or null when unknown or another user's. */
  getAgent(userId: string, agentId: string): Promise<Agent | null>
  /** The agent's kept samples, newest first (docs/lists.md "Telemetry"): one range of agent_telemetry_agent_idx. */
  listTelemetry(userId: string, agentId: string, page: TelemetryPage): Promise<TelemetryRow[]>
}

/**
 * Webhooks and their outbox (docs/api.md §1 "Webhooks"). Deployment alerts are written by the deployment writes
 * themselves, in the transaction of the status change they report. A delivery is claimed by one sender at a time
 * (leased), whichever process claims it.
 */
export interface WebhookStore {

  /** How many webhooks the user has (at most WEBHOOKS_PER_USER). */
  countWebhooks(userId: string): Promise<number>
  insertWebhook(webhook: Webhook): Promise<void>
  listWebhooks(userId: string, page: PageQuery): Promise<Webhook[]>
  getWebhook(userId: string, id: string): Promise<Webhook | null>
  /** Deletes it and its delivery log; false when unknown or not the user's. */
  deleteWebhook(userId: string, id: string): Promise<boolean>
  /** The webhook's deliveries newest first (by seq), those before `beforeSeq` (null: from the newest). */
  listDeliveries(webhookId: string, beforeSeq: number | null, limit: number): Promise<WebhookDelivery[]>
  /** Writes an alert to the outbox of each of the user's webhooks that takes it; answers how many. */
  raiseAlert(userId: string, event: AlertEvent, data: Record<string, unknown>, now: number): Promise<number>
  /**
   * Writes a `ping` delivery for the user's webhook, due now; null when unknown or not the user's. Throws
   * CONFLICT when the webhook has PENDING_PINGS_MAX pending deliveries already (after the null: 404 first).
   */
  pingWebhook(userId: string, webhookId: string, now: number): Promise<WebhookDelivery | null>
  /**
   * Hands out up to `room.limit` due deliveries and leases them until `leaseUntil` (a crash mid-send
   * leaves them to be sent again then). Every webhook with a due row is considered, its oldest due row;
   * never one in `room.busy`, nor more than `room.perUser` for a user counting `room.inFlight` (sends in
   * flight per user id). Users with fewer sends in flight (counting those handed out here) come first,
   * then the rows due longest.
   */
  claimDeliveries(now: number, room: ClaimRoom, leaseUntil: number): Promise<DueDelivery[]>
  /** Records an attempt: delivered, retried at `retryAt`, or given up on (`retryAt` null). */
  finishAttempt(seq: number, outcome: AttemptOutcome, now: number, retryAt: number | null): Promise<void>
  /** Deletes up to `limit` delivered or failed deliveries made before `cutoff`; answers how many. */
  pruneDeliveries(cutoff: number, limit: number): Promise<number>
}

/**
 * Retention (docs/operations.md): deletes old rows in small transactions, each keeping what the counts promise.
 */
export interface RetentionStore {

  /**
   * Retention (docs/operations.md): deletes up to `limit` events (and their out-of-row payloads) of one
   * terminal deployment completed before `cutoff`, in one transaction, keeping its last arrival; its
   * event_count drops by as many. `deploymentId` null: nothing older is left to prune.
   */
  pruneDeploymentEvents(cutoff: number, limit: number): Promise<{ deleted: number; deploymentId: string | null }>
  /**
   * Deletes the telemetry samples received before `cutoff` of the next agent after `after` in key order
   * (null: the first); `next` is that agent, null once every agent was visited.
   */
  pruneAgentTelemetry(cutoff: number, after: AgentRef | null): Promise<{ deleted: number; next: AgentRef | null }>
}

/**
 * What the rest of the server may ask of a database: every backend implements all of it, and
 * test/store/conformance/ holds each backend to the same behaviour. Shared obligations:
 * - Methods that take a user id see only that user's rows: another user's answers as unknown (null, empty, false).
 * - Newest-first lists are ordered (created_at DESC, id DESC) with ids compared bytewise, so pages never skip or
 *   repeat a row, on every backend.
 * - Counters (event seq, arrival numbers, change numbers, audit seq) stay unique and in commit order however many
 *   processes write the database.
 */
export interface Store extends SystemStore, AccountStore, AuditStore, CatalogStore, DeploymentStore, EventStore, AgentStore, WebhookStore, RetentionStore {}
