// The shapes that leave the server, in Elysia's `t` (TypeBox): each route declares them as its `response`
// schemas, so /openapi.json (src/http/openapi.ts) and `export type App` (src/app.ts, for an Eden client)
// carry them, and the DTOs of src/http/dto.ts are typed by them. They are exact: an object lists every
// field it may carry and no other (`additionalProperties: false`), so the test harness, which checks every
// answer of the suite against them (test/helpers.ts), fails on a field added, renamed or dropped without
// the document (docs/api.md §0 "Reference").
import { t } from 'elysia'
import type { TSchema } from '@sinclair/typebox'
import { DEPLOYMENT_MODES, DEPLOYMENT_STATUSES } from '../domain/deployment'
import { ERROR_CODES } from '../domain/errors'
import { AUDIT_ACTIONS } from '../domain/audit'
import { EVENT_ID_FIELD_MAX, EVENT_TYPE_MAX, EVENT_TYPE_PATTERN } from '../domain/event'
import { AGENT_STATUSES } from '../domain/agent'
import { DELIVERY_STATES } from '../domain/webhooks'
import { KEY_ENVIRONMENTS, KEY_SCOPES, ROLES } from '../domain/accounts'
import { ALERT_EVENTS } from '../domain/webhooks'

/** An object with exactly these fields. */
const exact = <P extends Parameters<typeof t.Object>[0]>(properties: P, description?: string) =>
  t.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) })
const nullable = <S extends TSchema>(schema: S, description?: string) => t.Union([schema, t.Null()], description ? { description } : {})

/** A server-made time (docs/api.md §0): RFC 3339 in UTC with `Z`, at most six fractional digits, trailing zeros trimmed. */
export const Timestamp = t.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{0,5}[1-9])?Z$',
  description: 'RFC 3339 in UTC, e.g. 2026-03-07T12:00:01.5Z',
})
const NullableTimestamp = nullable(Timestamp)
/** Any JSON object (an event's payload, a plan's data): stored as sent, canonical key order. */
const JsonObject = t.Record(t.String(), t.Unknown(), { description: 'any JSON object' })

export const ErrorBody = exact(
  { error: t.String({ description: 'a message for people' }), code: t.UnionEnum(ERROR_CODES, { description: 'a stable machine code' }) },
  'every non-2xx answer (docs/api.md §0)',
)

/** On a page of a cursor list (docs/lists.md): absent on the last page. */
const next_cursor = t.Optional(t.String({ description: 'absent on the last page; pass it as ?cursor= for the next one' }))

export const User = exact({
  id: t.String(),
  email: t.String(),
  name: nullable(t.String()),
  role: t.UnionEnum(ROLES),
  created_at: Timestamp,
  disabled_at: nullable({ ...Timestamp, description: 'set while an admin has disabled the user (ours, docs/api.md §1)' }),
})
export const UserEnvelope = exact({ user: User })
export const UserPage = exact({ users: t.Array(User), next_cursor })

/** One audit record (docs/api.md §1 "Audit"). */
export const AuditRecord = exact({
  id: t.Integer({ description: 'the record’s number: later records have larger ones' }),
  at: Timestamp,
  action: t.UnionEnum(AUDIT_ACTIONS),
  actor_id: nullable(t.String({ description: 'the user who acted; null when nobody is known (the command line, a failed login for an unknown email)' })),
  actor_email: nullable(t.String({ description: 'the actor’s email then, or the email a failed login tried' })),
  target: nullable(t.String({ description: 'the id of what was acted on (a user, a key, a deployment)' })),
  address: nullable(t.String({ description: 'the client address; null from the command line' })),
  detail: nullable(t.Record(t.String(), t.Union([t.String(), t.Number(), t.Boolean(), t.Null()]), { description: 'what else the action says (a new role, a reason)' })),
})
export const AuditPage = exact({ records: t.Array(AuditRecord), next_cursor })

export const ApiKey = exact({
  id: t.String(),
  name: t.String(),
  prefix: t.String({ description: 'the first characters of the key, to recognise it' }),
  environment: t.UnionEnum(KEY_ENVIRONMENTS),
  scope: t.UnionEnum(KEY_SCOPES, { description: 'full: all its user may; agent: the agent protocol and reports; read: GET only' }),
  created_at: Timestamp,
  last_used_at: NullableTimestamp,
  revoked_at: NullableTimestamp,
})
export const NewApiKey = exact({
  id: t.String(),
  name: t.String(),
  key: t.String({ description: 'the key itself, shown this once' }),
  prefix: t.String(),
  environment: t.UnionEnum(KEY_ENVIRONMENTS),
  scope: t.UnionEnum(KEY_SCOPES),
  created_at: Timestamp,
})
export const RevokedApiKey = exact({ id: t.String(), revoked_at: Timestamp })
export const ApiKeyPage = exact({ keys: t.Array(ApiKey), next_cursor })

export const Mission = exact({ id: t.String(), name: t.String(), description: nullable(t.String()), created_at: Timestamp })
export const MissionPage = exact({ missions: t.Array(Mission), next_cursor })

const planFields = {
  id: t.String(),
  mission_id: t.String(),
  label: t.String(),
  satellite_id: t.String(),
  satellite_name: nullable(t.String()),
  preset: nullable(t.String()),
  event_count: t.Integer({ minimum: 0 }),
  created_at: Timestamp,
  archived_at: nullable(Timestamp, 'set while the plan is archived (docs/api.md §5 "Archiving a plan")'),
}
export const Plan = exact(planFields)
export const PlanWithData = exact({ ...planFields, plan_data: t.Unknown({ description: 'the planner output, as sent (docs/api.md §5)' }) })
export const PlanPage = exact({ plans: t.Array(Plan), next_cursor })

export const Deployment = exact({
  id: t.String(),
  mission_id: t.String(),
  plan_id: t.String(),
  satellite_id: t.String(),
  status: t.UnionEnum(DEPLOYMENT_STATUSES),
  mode: t.UnionEnum(DEPLOYMENT_MODES),
  speed_multiplier: t.Number(),
  started_at: NullableTimestamp,
  completed_at: NullableTimestamp,
  created_at: Timestamp,
  mission_name: t.String(),
  sat_norad_id: t.String({ description: 'the same as satellite_id' }),
  plan_label: t.String(),
  agent_id: nullable(t.String()),
  dispatched_at: NullableTimestamp,
  event_count: t.Integer({ minimum: 0 }),
  archived_at: nullable(Timestamp, 'set while the deployment is archived (docs/api.md §2.2)'),
})
export const DeploymentPage = exact({ deployments: t.Array(Deployment), next_cursor })
export const CreatedDeployment = exact({ id: t.String(), status: t.Literal('pending') })
export const CancelledDeployment = exact({ id: t.String(), status: t.Literal('cancelled') })

export const Event = exact({
  id: t.String(),
  event_type: t.String(),
  step_id: nullable(t.String()),
  job_id: nullable(t.String()),
  payload: JsonObject,
  event_timestamp: Timestamp,
  created_at: Timestamp,
})
export const EventPage = exact({
  events: t.Array(Event),
  total: t.Integer({ minimum: 0, description: 'events matching the filters' }),
  offset: t.Integer({ minimum: 0 }),
  limit: t.Integer({ minimum: 1 }),
  next_cursor,
})
export const EventId = exact({ id: t.String() })
export const BatchResult = exact({
  results: t.Array(exact({ id: t.String(), status: t.UnionEnum(['created', 'duplicate']) }), { description: 'one per event, in the order sent' }),
  created: t.Integer({ minimum: 0 }),
  duplicates: t.Integer({ minimum: 0 }),
})

const Position = exact({ lat: t.Number(), lon: t.Number(), altitude_km: t.Number(), in_eclipse: t.Boolean() })
const telemetryFields = {
  agent_id: t.Optional(t.String()),
  status: t.Optional(t.String()),
  timestamp: t.Optional(t.String({ description: 'as the agent sent it, or the server time' })),
  cpu_percent: t.Optional(nullable(t.Number())),
  memory_mb: t.Optional(nullable(t.Number())),
  battery_percent: t.Optional(nullable(t.Number())),
  temperature_c: t.Optional(nullable(t.Number())),
  position: t.Optional(nullable(Position)),
  compute_capacity: t.Optional(nullable(t.Number())),
}
export const Telemetry = exact(telemetryFields, 'a telemetry sample: the contract fields the agent sent (docs/api.md §4)')
export const Agent = exact({
  id: t.String(),
  satellite_id: nullable(t.String()),
  satellite_name: nullable(t.String()),
  agent_version: nullable(t.String()),
  status: t.UnionEnum(AGENT_STATUSES),
  registered_at: NullableTimestamp,
  last_seen_at: Timestamp,
  last_heartbeat_at: NullableTimestamp,
  last_telemetry: nullable(Telemetry),
  lost_at: nullable(Timestamp, 'when the agent was found lost (--agent-lost-after); null while it is seen'),
})
export const AgentPage = exact({ agents: t.Array(Agent), next_cursor })
export const TelemetrySamplePage = exact({ samples: t.Array(exact({ received_at: Timestamp, ...telemetryFields })), next_cursor })

export const Registered = exact({ id: t.String(), status: t.Literal('idle') })
export const Workload = exact({
  plan_id: t.String(),
  deployment_id: t.String(),
  satellite_id: t.String(),
  plan_data: t.Unknown({ description: 'the plan as stored' }),
  events: t.Array(
    exact({ type: t.String(), timestamp: Timestamp, job_id: t.String(), step_id: t.Optional(t.String()), payload: JsonObject }),
    { description: 'the plan events to execute, in mission order (docs/api.md §4)' },
  ),
})
export const Ok = exact({ ok: t.Literal(true) })
export const Usage = exact({
  events: nullable(
    exact({ used: t.Integer({ minimum: 0, description: 'new events stored in this period, as this node counted them' }), limit: t.Integer({ minimum: 1 }), period_ends_at: Timestamp }),
    ),
  storage: exact({ used_bytes: t.Integer({ minimum: 0 }), limit_bytes: nullable(t.Integer({ minimum: 1 })) }),
})
export const Health = exact({ ok: t.Literal(true), version: t.String(), schema: t.String({ description: 'the newest migration this server knows' }) })

// Webhooks (docs/api.md §1 "Webhooks").
const webhookFields = {
  id: t.String(),
  url: t.String({ description: 'where deliveries are posted' }),
  events: t.Array(t.UnionEnum(ALERT_EVENTS), { description: 'the alerts it takes' }),
  created_at: Timestamp,
}
export const Webhook = exact(webhookFields)
export const NewWebhook = exact({ ...webhookFields, secret: t.String({ description: 'the HMAC-SHA256 key of its signatures, shown this once' }) })
export const WebhookPage = exact({ webhooks: t.Array(Webhook), next_cursor })
export const WebhookDelivery = exact({
  id: t.String({ description: 'the id its body carries (the same on every attempt)' }),
  webhook_id: t.String(),
  event: t.UnionEnum([...ALERT_EVENTS, 'ping']),
  state: t.UnionEnum(DELIVERY_STATES, { description: 'pending (to be sent or retried), delivered (a 2xx), failed (given up)' }),
  attempts: t.Integer({ minimum: 0 }),
  created_at: Timestamp,
  next_attempt_at: NullableTimestamp,
  last_attempt_at: NullableTimestamp,
  last_status: nullable(t.Integer({ description: 'the HTTP status of the last attempt; null when it got none' })),
  last_error: nullable(t.String()),
})
export const WebhookDeliveryPage = exact({ deliveries: t.Array(WebhookDelivery), next_cursor })

/** A body that is not JSON: text, a stream or a file; its media type is declared with it (src/http/route-doc.ts). */
export const Text = t.String()
/**
 * A stream of Server-Sent Events (text/event-stream): text on the wire; for the types `unknown`, as the
 * stream routes hand Elysia a generator of frames that they write themselves (src/http/streams.ts).
 */
export const EventStream = t.Unsafe<unknown>(t.String({ description: 'Server-Sent Events' }))
/** No body (204). */
export const Empty = t.Void()

// Request bodies that a route parses by hand rather than with a schema (src/domain/event.ts): written here
// for the document, from the same constants; the routes' own checks are the truth (test/api/openapi.test.ts
// holds them to it).
export const EventReport = t.Object({
  type: t.String({ pattern: EVENT_TYPE_PATTERN.source, maxLength: EVENT_TYPE_MAX, description: 'dotted lowercase, e.g. job.accepted' }),
  timestamp: t.String({ description: 'RFC 3339 with an offset, up to 9 fractional digits' }),
  job_id: t.Optional(nullable(t.String({ maxLength: EVENT_ID_FIELD_MAX }))),
  step_id: t.Optional(nullable(t.String({ maxLength: EVENT_ID_FIELD_MAX }))),
  payload: t.Optional(nullable(t.Record(t.String(), t.Unknown(), { description: 'any JSON object, at most 64 KiB serialised; kept exactly as sent' }))),
})
export const EventBatch = t.Object({ events: t.Array(EventReport, { minItems: 1, maxItems: 500 }) })
