// The drizzle schema: one table per resource. Every time column holds microseconds since the epoch
// (src/domain/time.ts); JSON columns hold text exactly as it will be served.
import { sql } from 'drizzle-orm'
import { foreignKey, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { KEY_ENVIRONMENTS, KEY_SCOPES, ROLES } from '../../../domain/accounts'
import { AGENT_STATUSES } from '../../../domain/agent'
import { DEPLOYMENT_MODES, DEPLOYMENT_STATUSES } from '../../../domain/deployment'
import { DELIVERY_STATES } from '../../../domain/webhooks'


export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  /** Stored lowercased: emails compare case-insensitively. */
  email: text('email').notNull().unique(),
  name: text('name'),
  role: text('role', { enum: ROLES }).notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: integer('created_at').notNull(),
  /** Set while an admin has disabled the user: no login, no session, every key 401 (docs/api.md §1). */
  disabledAt: integer('disabled_at'),
})

/** Every row below belongs to one user and goes with that user. */
const ownerColumn = () =>
  text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' })

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: ownerColumn(),
    /** SHA-256 hex of the token's secret half; the secret itself is never stored. */
    secretHash: text('secret_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
)

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    userId: ownerColumn(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    environment: text('environment', { enum: KEY_ENVIRONMENTS }).notNull(),
    scope: text('scope', { enum: KEY_SCOPES }).notNull().default('full'),
    /** SHA-256 hex of the whole key; the key itself is shown once and never stored. */
    keyHash: text('key_hash').notNull().unique(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('api_keys_user_idx').on(t.userId)],
)

export const missions = sqliteTable(
  'missions',
  {
    id: text('id').primaryKey(),
    userId: ownerColumn(),
    name: text('name').notNull(),
    description: text('description'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('missions_user_idx').on(t.userId, t.createdAt)],
)

export const plans = sqliteTable(
  'plans',
  {
    id: text('id').primaryKey(),
    userId: ownerColumn(),
    missionId: text('mission_id')
      .notNull()
      .references(() => missions.id),
    label: text('label').notNull(),
    satelliteId: text('satellite_id').notNull(),
    satelliteName: text('satellite_name'),
    preset: text('preset'),
    planData: text('plan_data').notNull(),
    eventCount: integer('event_count').notNull(),
    createdAt: integer('created_at').notNull(),
    /** Set while the plan is archived: hidden from the default list, kept, restorable. */
    archivedAt: integer('archived_at'),
  },
  (t) => [index('plans_user_idx').on(t.userId, t.createdAt), index('plans_mission_idx').on(t.missionId)],
)

export const deployments = sqliteTable(
  'deployments',
  {
    id: text('id').primaryKey(),
    userId: ownerColumn(),
    missionId: text('mission_id')
      .notNull()
      .references(() => missions.id),
    planId: text('plan_id')
      .notNull()
      .references(() => plans.id),
    satelliteId: text('satellite_id').notNull(),
    status: text('status', { enum: DEPLOYMENT_STATUSES }).notNull(),
    mode: text('mode', { enum: DEPLOYMENT_MODES }).notNull(),
    speedMultiplier: real('speed_multiplier').notNull(),
    agentId: text('agent_id'),
    createdAt: integer('created_at').notNull(),
    dispatchedAt: integer('dispatched_at'),
    startedAt: integer('started_at'),
    completedAt: integer('completed_at'),
    /** The deployment's events are stored under this integer (events.deployment_key); assigned at insert. */
    eventKey: integer('event_key'),
    /** Kept in step with the events table in the same transaction, so listing never counts rows. */
    eventCount: integer('event_count').notNull().default(0),
    /** Simulated mode: the index (in play order) of the next plan event the replay will store. */
    replayCursor: integer('replay_cursor').notNull().default(0),
    /** 1 from a simulated deployment's creation until its last plan event is stored or it is cancelled. */
    replayActive: integer('replay_active').notNull().default(0),
    /**
     * The deployment's place in its owner's change sequence (docs/api.md §3.3 GET /api/deployments/stream): set
     * to the owner's highest value plus one at creation, at each status change and, at most once a second,
     * when its event count moved. Only the latest change of each deployment is kept.
     */
    changeSeq: integer('change_seq').notNull().default(0),
    /**
     * The event_count that the latest change (change_seq) carries. A count that moved since is given a
     * change of its own once a second, or at the next start if the server stopped first.
     */
    changeCount: integer('change_count').notNull().default(0),
    /** Set while the (terminal) deployment is archived: hidden from the default list, kept, restorable. */
    archivedAt: integer('archived_at'),
    /**
     * What its events take, as src/domain/quota.ts eventSize counts it, kept in step with the events in the
     * same transaction (and by retention): a user's stored data is the sum over their deployments.
     */
    storedBytes: integer('stored_bytes').notNull().default(0),
  },
  (t) => [
    index('deployments_user_idx').on(t.userId, t.createdAt),
    uniqueIndex('deployments_event_key_unique').on(t.eventKey),
    // The poll's query: the oldest pending live deployment of a user for a satellite.
    index('deployments_dispatch_idx')
      .on(t.userId, t.satelliteId, t.createdAt)
      .where(sql`status = 'pending' and mode = 'live'`),
    // The replays to resume at start.
    index('deployments_replay_idx').on(t.replayActive).where(sql`replay_active = 1`),
    // The owner's highest change (the next one's number) and the changes after a resume point.
    index('deployments_change_idx').on(t.userId, t.changeSeq),
  ],
)

/**
 * Events, clustered by (deployment, instant, arrival): the table is itself the list order, so a page is
 * one range read and an insert touches one b-tree (migration 0002 creates it WITHOUT ROWID, which
 * drizzle cannot express). No foreign key on this hot table: the deployment is checked in the same
 * transaction by the only writer, and a trigger on deployments deletes a deployment's events.
 * A retry of a keyless event is found through events_retry_idx: the same deployment, instant and content
 * digest (src/domain/event.ts contentDigest), so the lookup costs O(log n) however many events share the
 * instant; a digest match is then compared field by field (isRetryOf). See docs/events.md.
 */
export const events = sqliteTable(
  'events',
  {
    /** deployments.event_key: an integer, so that every key and every comparison stays small. */
    deploymentKey: integer('deployment_key').notNull(),
    eventTimestamp: integer('event_timestamp').notNull(),
    /** Monotonic per server, across deployments and restarts (meta.event_seq): arrival order. */
    seq: integer('seq').notNull(),
    eventType: text('event_type').notNull(),
    jobId: text('job_id'),
    stepId: text('step_id'),
    /** The Idempotency-Key the reporter sent (the replay's own: `replay:<plan index>`), if any. */
    idempotencyKey: text('idempotency_key'),
    createdAt: integer('created_at').notNull(),
    /**
     * Only for events stored before 0.2, whose ids were random: a later event's id is derived from its
     * created_at and seq (src/domain/ids.ts createEventIds), so it is not stored. Nothing looks events up by id.
     */
    id: text('id'),
    /**
     * The payload's JSON, or null when it is larger than fits in a b-tree cell and is kept in event_payloads:
     * a row that overflows its page makes every comparison on the clustered key read the overflow pages.
     */
    payload: text('payload'),
    /**
     * A keyed hash of the event's identity (type, job, step, canonical payload) for keyless events; null for
     * keyed ones, and for rows stored before 0.3 until the start-up backfill gives them one.
     */
    digest: integer('digest'),
    /**
     * For a large payload written ahead of its event (a big batch, staged in small transactions so that no
     * single one holds the event loop long): the event_payloads key it was written under, a negative number.
     * Null when the payload is inline, or kept in event_payloads under the event's own seq.
     */
    payloadRef: integer('payload_ref'),
    /**
     * The event's position in its deployment's arrival order, 1, 2, 3, … assigned at commit and never
     * reused (docs/api.md §3.3): the stream's `id:`. Per deployment, not global, so that it tells a tenant
     * nothing about how much others ingest.
     */
    arrival: integer('arrival'),
  },
  (t) => [
    primaryKey({ columns: [t.deploymentKey, t.eventTimestamp, t.seq] }),
    index('events_payload_ref_idx')
      .on(t.payloadRef)
      .where(sql`payload_ref is not null`),
    index('events_retry_idx')
      .on(t.deploymentKey, t.eventTimestamp, t.digest)
      .where(sql`idempotency_key is null`),
    uniqueIndex('events_arrival_idx').on(t.deploymentKey, t.arrival),
    uniqueIndex('events_key_idx')
      .on(t.deploymentKey, t.idempotencyKey)
      .where(sql`idempotency_key is not null`),
  ],
)

/**
 * Payloads too large to stay in their events row (see events.payload), by the event's seq, or by a negative
 * key for a payload staged ahead of its event (see events.payloadRef).
 */
export const eventPayloads = sqliteTable('event_payloads', {
  seq: integer('seq').primaryKey(),
  payload: text('payload').notNull(),
})


/** Agents name themselves (`X-Agent-ID`); the name is unique per user, not globally. */
export const agents = sqliteTable(
  'agents',
  {
    userId: ownerColumn(),
    id: text('id').notNull(),
    satelliteId: text('satellite_id'),
    satelliteName: text('satellite_name'),
    agentVersion: text('agent_version'),
    orbitAltitudeKm: real('orbit_altitude_km'),
    status: text('status', { enum: AGENT_STATUSES }).notNull().default('idle'),
    registeredAt: integer('registered_at'),
    lastSeenAt: integer('last_seen_at').notNull(),
    lastHeartbeatAt: integer('last_heartbeat_at'),
    /** The latest telemetry sample as JSON text. */
    lastTelemetry: text('last_telemetry'),
    /** First contact (a request or a registration): the list order, newest first. */
    createdAt: integer('created_at').notNull().default(0),
    /**
     * When the agent was found lost (not seen for `--agent-lost-after`); cleared when it is seen again.
     * Set once per silence, so its alert and its policy act once.
     */
    lostAt: integer('lost_at'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.id] }), index('agents_user_created_idx').on(t.userId, t.createdAt, t.id)],
)

/** Every telemetry sample an agent sent, as it was received. */
export const agentTelemetry = sqliteTable(
  'agent_telemetry',
  {
    seq: integer('seq').primaryKey(),
    userId: text('user_id').notNull(),
    agentId: text('agent_id').notNull(),
    receivedAt: integer('received_at').notNull(),
    sample: text('sample').notNull(),
  },
  (t) => [
    index('agent_telemetry_agent_idx').on(t.userId, t.agentId, t.receivedAt),
    foreignKey({ columns: [t.userId, t.agentId], foreignColumns: [agents.userId, agents.id] }).onDelete('cascade'),
  ],
)

/**
 * Counters kept by triggers (drizzle/0001_auth_epoch.sql): `auth_epoch` moves whenever an API key is
 * revoked or changed or a user changes, by any process, so in-memory credential caches know to forget.
 */
export const meta = sqliteTable('meta', {
  key: text('key').primaryKey(),
  value: integer('value').notNull(),
})

/**
 * The audit trail (docs/api.md §1 "Audit"): who did what, when, from where — written in the transaction of
 * the action itself, so an action is never without its record nor a record without its action. No foreign
 * key: a record outlives whatever it names.
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    /** The user who acted; null when nobody is known (a failed login for an email no user has). */
    actorId: text('actor_id'),
    /** The actor's email then, or the email a failed login tried. */
    actorEmail: text('actor_email'),
    /** `login`, `login_failed`, `key.create`, … (src/domain/audit.ts). */
    action: text('action').notNull(),
    /** The id of what was acted on (a key, a user, a deployment), if anything. */
    target: text('target'),
    /** The client address (docs/auth.md "Client address"); null for the command line. */
    address: text('address'),
    /** JSON object text with what else the action needs said (a new role, a reason). */
    detail: text('detail'),
  },
  (t) => [index('audit_at_idx').on(t.at, t.seq), index('audit_actor_idx').on(t.actorId, t.at, t.seq), index('audit_action_idx').on(t.action, t.at, t.seq)],
)

/** A user's webhook: where to send which alerts (docs/api.md §1 "Alerts"). */
export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    userId: ownerColumn(),
    url: text('url').notNull(),
    /** JSON array text of the alert names it takes (`deployment.failed`, `agent.lost`, …). */
    events: text('events').notNull(),
    /** The HMAC-SHA256 key its deliveries are signed with: shown once at creation, kept to sign. */
    secret: text('secret').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('webhooks_user_idx').on(t.userId, t.createdAt)],
)


/**
 * The webhook outbox and its delivery log: a row is written in the transaction of what it reports, then
 * sent (and retried with back-off) until it is delivered or given up on.
 */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    event: text('event').notNull(),
    /** The JSON body as it is sent, byte for byte (its signature is over these bytes). */
    body: text('body').notNull(),
    createdAt: integer('created_at').notNull(),
    state: text('state', { enum: DELIVERY_STATES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** When the next attempt is due; null once delivered or given up on. */
    nextAttemptAt: integer('next_attempt_at'),
    lastAttemptAt: integer('last_attempt_at'),
    /** The HTTP status of the last attempt, or null when it got none (refused, timed out). */
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
  },
  (t) => [
    index('webhook_deliveries_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`state = 'pending'`),
    index('webhook_deliveries_hook_idx').on(t.webhookId, t.seq),
    /** Each webhook's oldest due pending row (the sender's claim), and its pending count (the ping cap). */
    index('webhook_deliveries_pending_idx')
      .on(t.webhookId, t.nextAttemptAt)
      .where(sql`state = 'pending'`),
    /** Delivered and failed rows by age (the prune): never stalled behind pending rows however old. */
    index('webhook_deliveries_done_idx')
      .on(t.createdAt)
      .where(sql`state != 'pending'`),
  ],
)
