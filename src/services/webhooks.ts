// The webhook sender (docs/api.md §1 "Webhooks"): posts the outbox's due deliveries (webhook_deliveries,
// written in the transactions of what they report) to their targets, signed, and records each attempt —
// delivered on a 2xx, otherwise retried with exponential back-off until given up on.
//
// Nothing here is on the path of a request: a send is a fetch in flight, never awaited by ingestion. At most
// `maxInFlight` sends are in flight, at most one per webhook and at most `perUser` per user, and every
// webhook with a due row is considered at each claim (users with fewer sends in flight first, then the
// rows due longest), so a target that hangs (10 s each, then the next) or refuses holds up its own
// deliveries only — never another webhook's, nor another user's, nor anyone's reports.
// Delivery is at least once: a crash mid-send leaves the row leased, and it is sent again when the lease
// ends; receivers dedupe by the body's `id`.
import type { Clock } from '../domain/time'
import { agentLostData, nextAttempt, signDelivery, SIGNATURE_HEADER, TIMESTAMP_HEADER, type AlertEvent } from '../domain/webhooks'
import type { Logger } from '../log'
import type { WebhookMetrics } from '../metrics'
import type { AttemptOutcome, DueDelivery, Store } from '../store/types'
import { nextTurn } from '../turn'

export const SEND_TIMEOUT_MS = 10_000
export const MAX_IN_FLIGHT = 8
/** Sends in flight per user: one user's hanging webhooks can hold at most this many of the MAX_IN_FLIGHT slots. */
export const MAX_IN_FLIGHT_PER_USER = 2
/** How often due deliveries are looked for (new alerts and ping nudge it at once). */
export const SENDER_EVERY_MS = 1000
/** Delivered and given-up deliveries are kept this long in the log, then deleted (in batches). */
export const DELIVERY_LOG_KEPT_MICROS = 7 * 86_400 * 1_000_000
const PRUNE_BATCH = 500
const PRUNE_EVERY_MS = 60_000
/** A claimed delivery is sent again after this long if its attempt was never recorded (a crash). */
const LEASE_MICROS = 5 * 60 * 1_000_000

export type WebhookSenderOptions = {
  store: Store
  clock: Clock
  log: Logger
  fetch?: typeof fetch
  timeoutMs?: number
  maxInFlight?: number
  maxInFlightPerUser?: number
  everyMs?: number
  /** Told of each attempt's outcome (GET /metrics). */
  metrics?: WebhookMetrics
}

export type WebhookSender = ReturnType<typeof createWebhookSender>

export function createWebhookSender({ store, clock, log, fetch: send = fetch, timeoutMs = SEND_TIMEOUT_MS, maxInFlight = MAX_IN_FLIGHT, maxInFlightPerUser = MAX_IN_FLIGHT_PER_USER, everyMs = SENDER_EVERY_MS, metrics }: WebhookSenderOptions) {
  /** Webhook id → its send in flight. */
  const inFlight = new Map<string, Promise<void>>()
  /** User id → its sends in flight (users with none are left out). */
  const perUser = new Map<string, number>()
  let stopping = new AbortController()
  let timer: ReturnType<typeof setInterval> | undefined
  let pruneTimer: ReturnType<typeof setInterval> | undefined
  let pumping: Promise<void> | null = null
  let again = false
  let stopped = false
  let failing = false

  async function attempt(delivery: DueDelivery): Promise<AttemptOutcome> {
    const timestamp = Math.floor(clock() / 1_000_000)
    try {
      const response = await send(delivery.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stopping.signal]),
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'ground-console-webhooks',
          [SIGNATURE_HEADER]: signDelivery(delivery.secret, timestamp, delivery.body),
          [TIMESTAMP_HEADER]: String(timestamp),
        },
        body: delivery.body,
      })
      // The answer's body is not read: whatever its size, it costs nothing.
      await response.body?.cancel().catch(() => {})
      if (response.status >= 200 && response.status < 300) return { delivered: true, status: response.status }
      return { delivered: false, status: response.status, error: `answered HTTP ${response.status}` }
    } catch (error) {
      const name = (error as { name?: string })?.name
      if (name === 'TimeoutError') return { delivered: false, status: null, error: `no answer within ${timeoutMs / 1000} s` }
      return { delivered: false, status: null, error: (error instanceof Error ? error.message : String(error)).slice(0, 300) || 'the request failed' }
    }
  }

  async function deliver(delivery: DueDelivery) {
    const outcome = await attempt(delivery)
    // Stopped mid-send: the attempt is not counted; the lease brings it back after a restart.
    if (stopped && !outcome.delivered) return
    const now = clock()
    const retryAt = outcome.delivered ? null : nextAttempt(delivery.attempts + 1, delivery.createdAt, now)
    try {
      await store.finishAttempt(delivery.seq, outcome, now, retryAt)
    } catch (error) {
      log.warn('could not record a webhook delivery attempt; it is sent again later', { error: String(error) })
    }
    metrics?.attempt(outcome.delivered ? 'delivered' : retryAt === null ? 'given_up' : 'retry')
    if (!outcome.delivered && retryAt === null) log.warn('webhook delivery given up', { webhook: delivery.webhookId, error: outcome.error })
  }

  /** Claims what fits in flight and starts sending it; each finished send pumps again. */
  async function pumpOnce() {
    do {
      again = false
      if (stopped) return
      const room = maxInFlight - inFlight.size
      if (room <= 0) return
      const now = clock()
      let due: DueDelivery[]
      try {
        due = await store.claimDeliveries(now, { limit: room, busy: [...inFlight.keys()], inFlight: perUser, perUser: maxInFlightPerUser }, now + LEASE_MICROS)
        failing = false
      } catch (error) {
        if (!failing) log.warn('could not read due webhook deliveries; trying again', { error: String(error) })
        failing = true
        return
      }
      for (const delivery of due) {
        const { webhookId, userId } = delivery
        perUser.set(userId, (perUser.get(userId) ?? 0) + 1)
        const sending = deliver(delivery).finally(() => {
          inFlight.delete(webhookId)
          const left = (perUser.get(userId) ?? 1) - 1
          if (left > 0) perUser.set(userId, left)
          else perUser.delete(userId)
          pump()
        })
        inFlight.set(webhookId, sending)
      }
    } while (again)
  }

  /** Looks for due deliveries now, or once the look in progress ends. */
  function pump(): Promise<void> {
    if (pumping) {
      again = true
      return pumping
    }
    pumping = pumpOnce().finally(() => {
      pumping = null
    })
    return pumping
  }

  async function prune(): Promise<number> {
    const cutoff = clock() - DELIVERY_LOG_KEPT_MICROS
    let total = 0
    while (!stopped) {
      const deleted = await store.pruneDeliveries(cutoff, PRUNE_BATCH)
      total += deleted
      if (deleted < PRUNE_BATCH) break
      await nextTurn()
    }
    return total
  }

  return {
    /** Nudges the sender: something is due now (an alert raised, a ping). */
    nudge() {
      if (timer) void pump()
    },
    /** Claims and sends what is due, and resolves once those sends are recorded (tests drive it so). */
    async deliverDue() {
      await pump()
      // A finished send pumps again (the webhook's next row, say): that claim may still be reading the
      // store when the last send in flight ends (a round trip on PostgreSQL), so it is waited for too.
      while (inFlight.size > 0 || pumping) {
        await Promise.all([...inFlight.values()])
        if (pumping) await pumping
      }
    },
    /** Deletes delivered and failed deliveries older than the log keeps (DELIVERY_LOG_KEPT_MICROS). */
    prune,
    /** Sends on a timer (and on every nudge) from now on; prunes the log once a minute. */
    start() {
      if (timer) return
      stopped = false
      if (stopping.signal.aborted) stopping = new AbortController()
      timer = setInterval(() => void pump(), everyMs)
      timer.unref?.()
      pruneTimer = setInterval(() => void prune().catch((error) => log.warn('could not prune the webhook delivery log', { error: String(error) })), PRUNE_EVERY_MS)
      pruneTimer.unref?.()
      void pump()
    },
    /** Stops sending: sends in flight are abandoned (their rows are sent again after a restart). */
    async stop() {
      stopped = true
      clearInterval(timer)
      clearInterval(pruneTimer)
      timer = undefined
      stopping.abort()
      await Promise.allSettled([...inFlight.values()])
      await pumping
    },
    get inFlight() {
      return inFlight.size
    },
  }
}

/**
 * Alerts raised outside the deployment writes (which write theirs in their own transactions): the rest of
 * the server calls these. `agentLost` has the shape of the lost-agent sweep's hook (onAgentLost).
 */
export function createAlerts({ store, clock, sender }: { store: Store; clock: Clock; sender: Pick<WebhookSender, 'nudge'> }) {
  const raise = async (userId: string, event: AlertEvent, data: Record<string, unknown>): Promise<number> => {
    const written = await store.raiseAlert(userId, event, data, clock())
    if (written > 0) sender.nudge()
    return written
  }
  return {
    raise,
    agentLost: (userId: string, agentId: string, at: number, lastSeenAt: number | null = null) => raise(userId, 'agent.lost', agentLostData(agentId, at, lastSeenAt)),
  }
}
export type Alerts = ReturnType<typeof createAlerts>
