// The PostgreSQL schema (docs/postgres.md): the same resources as the SQLite one, shaped for several nodes
// writing at once. Every time column holds microseconds since the epoch (src/domain/time.ts) as bigint;
// JSON columns hold text exactly as received, never jsonb (which refuses `\u0000` and lone surrogate
// escapes and reorders keys). Counters that SQLite keeps as max()+1 under its one writer are rows here,
// taken under a row lock, so they follow commit order on every node.
import { sql } from 'drizzle-orm'
import { bigint, doublePrecision, foreignKey, index, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core'
import { KEY_ENVIRONMENTS, KEY_SCOPES, ROLES } from '../../../domain/accounts'
import { AGENT_STATUSES } from '../../../domain/agent'
import { DEPLOYMENT_MODES, DEPLOYMENT_STATUSES } from '../../../domain/deployment'
import { DELIVERY_STATES } from '../../../domain/webhooks'

/** Microseconds since the epoch, or any other integer that stays below 2^53. */
const micros = (name: string) => bigint(name, { mode: 'number' })

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  /** Stored lowercased: emails compare case-insensitively. */
  email: text('email').notNull().unique(),
  name: text('name'),
  role: text('role', { enum: ROLES }).notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: micros('created_at').notNull(),
  disabledAt: micros('disabled_at'),
})

const ownerColumn = () =>
  text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' })

/**
 * Each user's deployment change sequence (docs/api.md §3.3): the last number given. Taken with
 * `UPDATE … RETURNING` inside the transaction of the change, so the row lock orders a user's changes by
 * commit on every node. Not a column of users: users' updates move auth_epoch, these must not.
 */
export const changeCounters = pgTable('change_counters', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  seq: micros('seq').notNull().default(0),
})

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: ownerColumn(),
    secretHash: text('secret_hash').notNull(),
    createdAt: micros('created_at').notNull(),
    expiresAt: micros('expires_at').notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
)

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    userId: ownerColumn(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    environment: text('environment', { enum: KEY_ENVIRONMENTS }).notNull(),
    scope: text('scope', { enum: KEY_SCOPES }).notNull().default('full'),
    keyHash: text('key_hash').notNull().unique(),
    createdAt: micros('created_at').notNull(),
    lastUsedAt: micros('last_used_at'),
    revokedAt: micros('revoked_at'),
  },
  (t) => [index('api_keys_user_idx').on(t.userId, t.createdAt, t.id)],
)

export const missions = pgTable(
  'missions',
  {
    id: text('id').primaryKey(),
    userId: ownerColumn(),
    name: text('name').notNull(),
    description: text('description'),
    createdAt: micros('created_at').notNull(),
  },
  (t) => [index('missions_user_idx').on(t.userId, t.createdAt, t.id)],
)

export const plans = pgTable(
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
    eventCount: micros('event_count').notNull(),
    createdAt: micros('created_at').notNull(),
    archivedAt: micros('archived_at'),
  },
  (t) => [index('plans_user_idx').on(t.userId, t.createdAt, t.id), index('plans_mission_idx').on(t.missionId)],
)

export const deployments = pgTable(
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
    speedMultiplier: doublePrecision('speed_multiplier').notNull(),
    agentId: text('agent_id'),
    createdAt: micros('created_at').notNull(),
    dispatchedAt: micros('dispatched_at'),
    startedAt: micros('started_at'),
    completedAt: micros('completed_at'),
    eventCount: micros('event_count').notNull().default(0),
    /** The last arrival number given to one of its events (0 before the first), under this row's lock. */
    lastArrival: micros('last_arrival').notNull().default(0),
    replayCursor: micros('replay_cursor').notNull().default(0),
    /** A simulated deployment from its creation until its last plan event is stored or it is cancelled. */
    replayActive: bigint('replay_active', { mode: 'number' }).notNull().default(0),
    /**
     * The node playing the replay and until when its lease holds (docs/postgres.md "Replays"): a node
     * renews its leases while it lives; another takes over a replay whose lease ran out.
     */
    replayOwner: text('replay_owner'),
    replayLeaseUntil: micros('replay_lease_until'),
    changeSeq: micros('change_seq').notNull().default(0),
    changeCount: micros('change_count').notNull().default(0),
    archivedAt: micros('archived_at'),
    storedBytes: micros('stored_bytes').notNull().default(0),
  },
  (t) => [
    index('deployments_user_idx').on(t.userId, t.createdAt, t.id),
    index('deployments_dispatch_idx')
      .on(t.userId, t.satelliteId, t.createdAt)
      .where(sql`status = 'pending' and mode = 'live'`),
    index('deployments_replay_idx').on(t.replayLeaseUntil).where(sql`replay_active = 1`),
    index('deployments_change_idx').on(t.userId, t.changeSeq),
  ],
)

/**
 * Events. `seq` comes from a sequence (unique across nodes, the source of the event's id with created_at:
 * src/domain/ids.ts); `arrival` is the deployment's arrival number, unique per deployment and assigned
 * under the deployment's row lock. List order is (event_timestamp, arrival) within a deployment.
 */
export const events = pgTable(
  'events',
  {
    deploymentId: text('deployment_id')
      .notNull()
      .references(() => deployments.id, { onDelete: 'cascade' }),
    arrival: micros('arrival').notNull(),
    eventTimestamp: micros('event_timestamp').notNull(),
    seq: micros('seq').notNull(),
    eventType: text('event_type').notNull(),
    jobId: text('job_id'),
    stepId: text('step_id'),
    idempotencyKey: text('idempotency_key'),
    createdAt: micros('created_at').notNull(),
    /** JSON text exactly as received. */
    payload: text('payload').notNull(),
    /** A keyed hash of the identity (src/domain/event.ts contentDigest) for keyless events; null for keyed ones. */
    digest: micros('digest'),
  },
  (t) => [
    primaryKey({ columns: [t.deploymentId, t.arrival] }),
    index('events_list_idx').on(t.deploymentId, t.eventTimestamp, t.arrival),
    index('events_retry_idx')
      .on(t.deploymentId, t.eventTimestamp, t.digest)
      .where(sql`idempotency_key is null`),
    uniqueIndex('events_key_idx')
      .on(t.deploymentId, t.idempotencyKey)
      .where(sql`idempotency_key is not null`),
  ],
)

export const agents = pgTable(
  'agents',
  {
    userId: ownerColumn(),
    id: text('id').notNull(),
    satelliteId: text('satellite_id'),
    satelliteName: text('satellite_name'),
    agentVersion: text('agent_version'),
    orbitAltitudeKm: doublePrecision('orbit_altitude_km'),
    status: text('status', { enum: AGENT_STATUSES }).notNull().default('idle'),
    registeredAt: micros('registered_at'),
    lastSeenAt: micros('last_seen_at').notNull(),
    lastHeartbeatAt: micros('last_heartbeat_at'),
    lastTelemetry: text('last_telemetry'),
    createdAt: micros('created_at').notNull().default(0),
    lostAt: micros('lost_at'),
    /** Samples received so far (the telemetry prune runs at every TELEMETRY_PRUNE_EVERY-th). */
    samples: micros('samples').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.userId, t.id] }), index('agents_user_created_idx').on(t.userId, t.createdAt, t.id), index('agents_seen_idx').on(t.lastSeenAt).where(sql`lost_at is null`)],
)

export const agentTelemetry = pgTable(
  'agent_telemetry',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: text('user_id').notNull(),
    agentId: text('agent_id').notNull(),
    receivedAt: micros('received_at').notNull(),
    sample: text('sample').notNull(),
  },
  (t) => [
    index('agent_telemetry_agent_idx').on(t.userId, t.agentId, t.receivedAt, t.seq),
    foreignKey({ columns: [t.userId, t.agentId], foreignColumns: [agents.userId, agents.id] }).onDelete('cascade'),
  ],
)

/**
 * Counters kept by triggers (drizzle/postgres/0001_meta.sql): `auth_epoch` moves whenever an API key or a
 * user changes, `session_epoch` whenever a session is deleted, by any node; `event_id_secret` keys the
 * event ids and digests.
 */
export const meta = pgTable('meta', {
  key: text('key').primaryKey(),
  value: micros('value').notNull(),
})

export const auditLog = pgTable(
  'audit_log',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: micros('at').notNull(),
    actorId: text('actor_id'),
    actorEmail: text('actor_email'),
    action: text('action').notNull(),
    target: text('target'),
    address: text('address'),
    detail: text('detail'),
  },
  (t) => [index('audit_at_idx').on(t.at, t.seq), index('audit_actor_idx').on(t.actorId, t.at, t.seq), index('audit_action_idx').on(t.action, t.at, t.seq)],
)

export const webhooks = pgTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    userId: ownerColumn(),
    url: text('url').notNull(),
    events: text('events').notNull(),
    secret: text('secret').notNull(),
    createdAt: micros('created_at').notNull(),
  },
  (t) => [index('webhooks_user_idx').on(t.userId, t.createdAt, t.id)],
)

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    event: text('event').notNull(),
    body: text('body').notNull(),
    createdAt: micros('created_at').notNull(),
    state: text('state', { enum: DELIVERY_STATES }).notNull().default('pending'),
    attempts: micros('attempts').notNull().default(0),
    nextAttemptAt: micros('next_attempt_at'),
    lastAttemptAt: micros('last_attempt_at'),
    lastStatus: micros('last_status'),
    lastError: text('last_error'),
  },
  (t) => [
    index('webhook_deliveries_hook_idx').on(t.webhookId, t.seq),
    index('webhook_deliveries_pending_idx')
      .on(t.webhookId, t.nextAttemptAt)
      .where(sql`state = 'pending'`),
    index('webhook_deliveries_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`state = 'pending'`),
    index('webhook_deliveries_done_idx')
      .on(t.createdAt)
      .where(sql`state != 'pending'`),
  ],
)
