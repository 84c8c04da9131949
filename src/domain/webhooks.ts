// Webhooks and alerts (docs/api.md §1 "Webhooks"): what may be subscribed to, what a target URL may be,
// what a delivery's body is and how it is signed, and the retry schedule. Pure: no storage, no network.
import { createHmac } from 'node:crypto'
import type { DeploymentStatus } from './deployment'
import { invalid } from './errors'
import { formatNullableTimestamp, formatTimestamp } from './time'

/** A delivery is pending (to be sent or retried), delivered (a 2xx) or failed (given up). */
export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const
export type DeliveryState = (typeof DELIVERY_STATES)[number]

/** The alerts a webhook may take. `ping` is not among them: it is sent on request to one webhook only. */
export const ALERT_EVENTS = ['deployment.completed', 'deployment.failed', 'deployment.cancelled', 'agent.lost'] as const
export type AlertEvent = (typeof ALERT_EVENTS)[number]
/** What a delivery may carry: an alert, or the test delivery of POST /api/webhooks/{id}/ping. */
export type DeliveryEvent = AlertEvent | 'ping'

export const WEBHOOK_URL_MAX = 2048
/** Webhooks per user: every alert writes one outbox row per subscribed webhook, in the transaction of what it reports. */
export const WEBHOOKS_PER_USER = 20
/**
 * A ping to a webhook with this many pending deliveries (of any event) is refused (409): a test delivery
 * queued behind a backlog tests nothing, and pings must not grow one. Alerts are never refused nor dropped.
 */
export const PENDING_PINGS_MAX = 100

/** The alert a deployment's terminal status raises, or null for a status that is not terminal. */
export function terminalAlert(status: DeploymentStatus): AlertEvent | null {
  if (status === 'completed') return 'deployment.completed'
  if (status === 'failed') return 'deployment.failed'
  if (status === 'cancelled') return 'deployment.cancelled'
  return null
}

/**
 * Checks a target URL and answers it as given: http or https, with a host, without credentials, at most
 * 2 048 characters. Private and loopback addresses are allowed on purpose — the targets are a LAN's chat
 * server or pager (docs/api.md §1 "Webhooks" says what that risks).
 */
export function checkWebhookUrl(text: string): string {
  if (text.length > WEBHOOK_URL_MAX) throw invalid('url', `must be at most ${WEBHOOK_URL_MAX} characters`)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw invalid('url', 'is not an absolute URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('url', 'must be an http:// or https:// URL')
  if (url.username !== '' || url.password !== '') throw invalid('url', 'must not hold credentials (user:password@); put a token in the path or query instead')
  if (url.hostname === '') throw invalid('url', 'must name a host')
  // What is sent is what was checked: a URL whose text would not survive parsing as it is would surprise.
  if (/[\s\x00-\x1f\x7f]/.test(text)) throw invalid('url', 'must not contain spaces or control characters')
  return text
}

/** The subscribed alerts, once each, in the order of ALERT_EVENTS whatever order they were given in. */
export const normaliseEvents = (events: readonly AlertEvent[]): AlertEvent[] => ALERT_EVENTS.filter((e) => events.includes(e))

/**
 * A delivery's body, byte for byte as it is stored and sent: `{id, event, created_at, data}`, `id` first
 * (the store reads it back from the text: deliveryIdOf).
 */
export function deliveryBody(id: string, event: DeliveryEvent, createdAt: number, data: Record<string, unknown>): string {
  return JSON.stringify({ id, event, created_at: formatTimestamp(createdAt), data })
}

/** The id at the head of a body made by deliveryBody. */
export function deliveryIdOf(body: string): string {
  const start = '{"id":"'.length
  return body.slice(start, body.indexOf('"', start))
}

/** The signature header's value: `sha256=` and the hex HMAC-SHA256, keyed by the secret, of `<timestamp>.<body>`. */
export function signDelivery(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

export const SIGNATURE_HEADER = 'X-Ground-Console-Signature'
export const TIMESTAMP_HEADER = 'X-Ground-Console-Timestamp'

const SECOND = 1_000_000
/** The first retry comes this long after a failed attempt, and each later one waits twice as long... */
export const RETRY_FIRST_MICROS = 30 * SECOND
/** ...up to this long. */
export const RETRY_MAX_MICROS = 3600 * SECOND
/** A delivery not delivered this long after it was made is given up on (`failed`)... */
export const GIVE_UP_AFTER_MICROS = 24 * 3600 * SECOND
/** ...and so is one that failed this many attempts, whichever comes first. */
export const MAX_ATTEMPTS = 30

/** How long to wait after the `attempts`-th failed attempt (1, 2, …): 30 s, 1 min, 2 min, … at most 1 h. */
export function retryDelay(attempts: number): number {
  return Math.min(RETRY_MAX_MICROS, RETRY_FIRST_MICROS * 2 ** Math.min(Math.max(attempts - 1, 0), 20))
}

/** After a failed attempt: when to try again, or null to give up. */
export function nextAttempt(attempts: number, createdAt: number, now: number): number | null {
  if (attempts >= MAX_ATTEMPTS) return null
  const at = now + retryDelay(attempts)
  return at - createdAt > GIVE_UP_AFTER_MICROS ? null : at
}

/** What a deployment alert carries: the deployment as the API shows it, its main fields. */
export function deploymentAlertData(d: {
  id: string
  status: DeploymentStatus
  missionId: string
  missionName: string
  planId: string
  planLabel: string
  satelliteId: string
  mode: string
  agentId: string | null
  createdAt: number
  startedAt: number | null
  completedAt: number | null
  eventCount: number
}, cause?: { eventId: string; eventType: string; payload: Readonly<Record<string, unknown>> }): Record<string, unknown> {
  return {
    event: cause ? causeOf(cause) : null,
    deployment: {
      id: d.id,
      status: d.status,
      mode: d.mode,
      mission_id: d.missionId,
      mission_name: d.missionName,
      plan_id: d.planId,
      plan_label: d.planLabel,
      satellite_id: d.satelliteId,
      agent_id: d.agentId,
      created_at: formatTimestamp(d.createdAt),
      started_at: formatNullableTimestamp(d.startedAt),
      completed_at: formatNullableTimestamp(d.completedAt),
      event_count: d.eventCount,
    },
  }
}

/** A text field of the moving event's payload worth a pager's line (`reason`, `message`), cut to 500 characters. */
const textOf = (value: unknown) => (typeof value === 'string' ? value.slice(0, 500) : null)

/** The event that moved the status: its id and type, and the `reason` and `message` of its payload when they are text. */
const causeOf = ({ eventId, eventType, payload }: { eventId: string; eventType: string; payload: Readonly<Record<string, unknown>> }) => ({
  id: eventId,
  type: eventType,
  reason: textOf(payload.reason),
  message: textOf(payload.message),
})

/** What `agent.lost` carries. */
export const agentLostData = (agentId: string, lostAt: number, lastSeenAt: number | null = null): Record<string, unknown> => ({
  agent: { id: agentId, lost_at: formatTimestamp(lostAt), last_seen_at: formatNullableTimestamp(lastSeenAt) },
})

/** A webhook's oldest due delivery, as the sender's claim considers it. */
export type ClaimCandidate = { webhookId: string; userId: string; seq: number; due: number }

/**
 * The fair pick among the candidates (one per webhook), the same on every backend: repeatedly the
 * candidate of the user with the fewest sends in flight (counting those picked here), ties to the row due
 * longest (then the lower seq), never a user's past `perUser`; at most `limit`.
 */
export function pickFairly<C extends ClaimCandidate>(candidates: readonly C[], { limit, inFlight, perUser }: { limit: number; inFlight: ReadonlyMap<string, number>; perUser: number }): C[] {
  const byUser = new Map<string, C[]>()
  for (const c of [...candidates].sort((x, y) => x.due - y.due || x.seq - y.seq)) {
    const list = byUser.get(c.userId)
    if (list) list.push(c)
    else byUser.set(c.userId, [c])
  }
  const load = new Map<string, number>()
  for (const userId of byUser.keys()) load.set(userId, inFlight.get(userId) ?? 0)
  const picked: C[] = []
  while (picked.length < limit) {
    let best: C | undefined
    let bestLoad = Infinity
    for (const [userId, list] of byUser) {
      const n = load.get(userId)!
      const head = list[0]
      if (!head || n >= perUser) continue
      if (n < bestLoad || (n === bestLoad && (head.due < best!.due || (head.due === best!.due && head.seq < best!.seq)))) {
        best = head
        bestLoad = n
      }
    }
    if (!best) break
    byUser.get(best.userId)!.shift()
    load.set(best.userId, bestLoad + 1)
    picked.push(best)
  }
  return picked
}
