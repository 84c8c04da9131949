// What leaves the server: each resource mapped field by field from its stored form, so nothing that is
// not listed here (a password or key hash) can ever reach a response. Each is typed by its declared shape
// (src/http/schemas.ts), so a field added here and not there, or the other way round, does not compile.
import type { Static } from '@sinclair/typebox'
import type * as Shapes from './schemas'
import { formatNullableTimestamp, formatTimestamp } from '../domain/time'
import { parseJsonExact } from '../domain/json'
import { pickTelemetry } from '../domain/telemetry'
import type { Agent, ApiKey, AuditRecord, Deployment, Mission, Plan, PlanWithData, StoredEvent, User, Webhook, WebhookDelivery } from '../store/types'

export const userDto = (u: User): Static<typeof Shapes.User> => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  created_at: formatTimestamp(u.createdAt),
  disabled_at: formatNullableTimestamp(u.disabledAt),
})

export const auditDto = (r: AuditRecord): Static<typeof Shapes.AuditRecord> => ({
  id: r.seq,
  at: formatTimestamp(r.at),
  action: r.action,
  actor_id: r.actorId,
  actor_email: r.actorEmail,
  target: r.target,
  address: r.address,
  detail: r.detail,
})

export const apiKeyDto = (k: ApiKey): Static<typeof Shapes.ApiKey> => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  environment: k.environment,
  scope: k.scope,
  created_at: formatTimestamp(k.createdAt),
  last_used_at: formatNullableTimestamp(k.lastUsedAt),
  revoked_at: formatNullableTimestamp(k.revokedAt),
})

export const missionDto = (m: Mission): Static<typeof Shapes.Mission> => ({ id: m.id, name: m.name, description: m.description, created_at: formatTimestamp(m.createdAt) })

export const planDto = (p: Plan): Static<typeof Shapes.Plan> => ({
  id: p.id,
  mission_id: p.missionId,
  label: p.label,
  satellite_id: p.satelliteId,
  satellite_name: p.satelliteName,
  preset: p.preset,
  event_count: p.eventCount,
  created_at: formatTimestamp(p.createdAt),
  archived_at: formatNullableTimestamp(p.archivedAt),
})

/** A plan with its data as JSON text: the stored text is spliced in, never parsed (it may predate today's limits). */
export const planWithDataJson = (p: PlanWithData) => `${JSON.stringify(planDto(p)).slice(0, -1)},"plan_data":${p.planData}}`

export const deploymentDto = (d: Deployment): Static<typeof Shapes.Deployment> => ({
  id: d.id,
  mission_id: d.missionId,
  plan_id: d.planId,
  satellite_id: d.satelliteId,
  status: d.status,
  mode: d.mode,
  speed_multiplier: d.speedMultiplier,
  started_at: formatNullableTimestamp(d.startedAt),
  completed_at: formatNullableTimestamp(d.completedAt),
  created_at: formatTimestamp(d.createdAt),
  mission_name: d.missionName,
  sat_norad_id: d.satelliteId,
  plan_label: d.planLabel,
  agent_id: d.agentId,
  dispatched_at: formatNullableTimestamp(d.dispatchedAt),
  event_count: d.eventCount,
  archived_at: formatNullableTimestamp(d.archivedAt),
})

export const agentDto = (a: Agent): Static<typeof Shapes.Agent> => ({
  id: a.id,
  satellite_id: a.satelliteId,
  satellite_name: a.satelliteName,
  agent_version: a.agentVersion,
  status: a.status,
  registered_at: formatNullableTimestamp(a.registeredAt),
  last_seen_at: formatTimestamp(a.lastSeenAt),
  last_heartbeat_at: formatNullableTimestamp(a.lastHeartbeatAt),
  // Picked again on the way out: samples stored before the field rule (docs/lists.md) may hold anything.
  // Their numbers were written from doubles, so a plain parse reads them back exactly.
  last_telemetry: a.lastTelemetry === null ? null : pickTelemetry(JSON.parse(a.lastTelemetry)),
  lost_at: formatNullableTimestamp(a.lostAt),
})

/**
 * One event list item as JSON text; the stored payload text is spliced in without a parse/serialise round.
 * Event ids and types need no escaping (server-made ids; types match [a-z0-9_.]); job and step ids may.
 */
export function eventJson(e: Omit<StoredEvent, 'seq'>): string {
  return `{"id":"${e.id}","event_type":"${e.eventType}","step_id":${JSON.stringify(e.stepId)},"job_id":${JSON.stringify(e.jobId)},"payload":${e.payload},"event_timestamp":"${formatTimestamp(e.eventTimestamp)}","created_at":"${formatTimestamp(e.createdAt)}"}`
}

export const webhookDto = (w: Webhook, { maskUrl = false } = {}): Static<typeof Shapes.Webhook> => ({ id: w.id, url: maskUrl ? maskedUrl(w.url) : w.url, events: w.events, created_at: formatTimestamp(w.createdAt) })

/**
 * A webhook URL with its path and query replaced by `/…`: chat servers put their posting token there, and a
 * `read` key (a dashboard's) must not learn it (docs/api.md §1 "Webhooks").
 */
export function maskedUrl(url: string): string {
  const parsed = new URL(url)
  return parsed.pathname === '/' && parsed.search === '' ? `${parsed.protocol}//${parsed.host}/` : `${parsed.protocol}//${parsed.host}/…`
}

export const deliveryDto = (d: WebhookDelivery): Static<typeof Shapes.WebhookDelivery> => ({
  id: d.id,
  webhook_id: d.webhookId,
  event: d.event,
  state: d.state,
  attempts: d.attempts,
  created_at: formatTimestamp(d.createdAt),
  next_attempt_at: formatNullableTimestamp(d.nextAttemptAt),
  last_attempt_at: formatNullableTimestamp(d.lastAttemptAt),
  last_status: d.lastStatus,
  last_error: d.lastError,
})
