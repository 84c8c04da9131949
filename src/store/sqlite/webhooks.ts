// Webhooks and their outbox on SQLite (docs/api.md §1 "Webhooks"). An alert is a row per subscribed webhook
// in webhook_deliveries, written by AlertOutbox.write inside the transaction of what it reports (a
// deployment's terminal status: src/store/sqlite/deployments.ts), so a status change is never committed
// without its alert nor an alert without its change. The sender (src/services/webhooks.ts) claims due
// rows, posts them and records each attempt here.
//
// The hot path: a deployment becoming terminal costs users without a webhook one Map lookup (the count of
// each user's webhooks, loaded at open and kept by this store's own inserts and deletes — only the server
// writes webhooks, so no other process can make it stale).
import type { Statement } from 'bun:sqlite'
import type { Db } from './db/open'
import { AppError } from '../../domain/errors'
import { newId } from '../../domain/ids'
import { deliveryBody, deliveryIdOf, pickFairly, PENDING_PINGS_MAX, WEBHOOKS_PER_USER, type AlertEvent, type ClaimCandidate, type DeliveryEvent } from '../../domain/webhooks'
import type { DeliveryState } from '../../domain/webhooks'
import type { ClaimRoom, DueDelivery, Store, Webhook, WebhookDelivery, WebhookStore } from '../types'
import type { DurableCommits } from './durable'


/** Writes alerts into the outbox; shared by the stores whose writes raise them. */
export type AlertOutbox = {
  /**
   * Inside the caller's transaction: one pending row, due now, per webhook of the user that takes `event`;
   * `data` is made only when one does. Answers how many rows it wrote.
   */
  write(userId: string, event: AlertEvent, data: () => Record<string, unknown>, now: number): number
}

type WebhookRow = { id: string; userId: string; url: string; events: string; secret: string; createdAt: number }
const toWebhook = (row: WebhookRow): Webhook => ({ ...row, events: JSON.parse(row.events) as AlertEvent[] })

type DeliveryRow = Omit<WebhookDelivery, 'id'> & { body: string }
const toDelivery = ({ body, ...row }: DeliveryRow): WebhookDelivery => ({ ...row, id: deliveryIdOf(body) })

const WEBHOOK_COLUMNS = 'id, user_id AS userId, url, events, secret, created_at AS createdAt'
const DELIVERY_COLUMNS = `seq, webhook_id AS webhookId, event, body, created_at AS createdAt, state, attempts,
  next_attempt_at AS nextAttemptAt, last_attempt_at AS lastAttemptAt, last_status AS lastStatus, last_error AS lastError`


/** The statements whose plans matter (test/db/webhook-plans.test.ts holds them to their indexes). */
export const WEBHOOK_SQL = {
  // Newest first along webhooks_user_idx (user_id, created_at), ties by id (docs/lists.md).
  list: `SELECT ${WEBHOOK_COLUMNS} FROM webhooks
      WHERE user_id = $userId AND created_at <= $createdAt AND (created_at < $createdAt OR id < $id)
      ORDER BY created_at DESC, id DESC LIMIT $limit`,
  // Along webhook_deliveries_hook_idx (webhook_id, seq).
  deliveries: `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
      WHERE webhook_id = $webhookId AND seq < $before ORDER BY seq DESC LIMIT $limit`,
  // Is anything due at all: one read of the partial webhook_deliveries_due_idx (the sender asks every second).
  anyDue: `SELECT 1 FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $now LIMIT 1`,
  // Every webhook with a due row — not a window of the rows due first, which one webhook's backlog could
  // fill — with its oldest due row: one lookup per webhook along webhook_deliveries_pending_idx
  // (webhook_id, next_attempt_at). Webhooks with a send in flight and users with no slot left are skipped.
  // At most WEBHOOKS_PER_USER webhooks per user, so this is bounded by the users, not by any backlog.
  candidates: `SELECT pick.webhookId, pick.userId, d.seq, d.next_attempt_at AS due FROM (
        SELECT w.id AS webhookId, w.user_id AS userId, (SELECT p.seq FROM webhook_deliveries p
            WHERE p.webhook_id = w.id AND p.state = 'pending' AND p.next_attempt_at <= $now
            ORDER BY p.next_attempt_at, p.seq LIMIT 1) AS seq
        FROM webhooks w
        WHERE w.id NOT IN (SELECT value FROM json_each($busy)) AND w.user_id NOT IN (SELECT value FROM json_each($full))) pick
      JOIN webhook_deliveries d ON d.seq = pick.seq`,
  // A claimed row with what its send needs.
  claimed: `SELECT d.seq, d.webhook_id AS webhookId, w.user_id AS userId, d.body, d.created_at AS createdAt, d.attempts, w.url, w.secret
      FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.seq = $seq AND d.state = 'pending'`,
  // A webhook's pending rows, counted up to the ping cap (webhook_deliveries_pending_idx).
  pending: `SELECT count(*) AS n FROM (SELECT 1 FROM webhook_deliveries WHERE webhook_id = $webhookId AND state = 'pending' LIMIT ${PENDING_PINGS_MAX})`,
  // Delivered and failed rows made before the cutoff, along the partial webhook_deliveries_done_idx
  // (created_at) of those rows only: pending rows, however many and however old, are never in the way.
  prune: `DELETE FROM webhook_deliveries WHERE seq IN (
      SELECT seq FROM webhook_deliveries WHERE state != 'pending' AND created_at < $cutoff LIMIT $limit)`,
}


export function createWebhookStores(db: Db, durable: DurableCommits): { outbox: AlertOutbox; store: WebhookStore } {
  const sqlite = db.$client
  const q = {
    countsByUser: sqlite.prepare('SELECT user_id AS userId, count(*) AS n FROM webhooks GROUP BY user_id') as Statement<{ userId: string; n: number }>,
    countOf: sqlite.prepare('SELECT count(*) AS n FROM webhooks WHERE user_id = ?') as Statement<{ n: number }>,
    insert: sqlite.prepare('INSERT INTO webhooks (id, user_id, url, events, secret, created_at) VALUES ($id, $userId, $url, $events, $secret, $createdAt)'),
    list: sqlite.prepare(WEBHOOK_SQL.list) as Statement<WebhookRow>,
    get: sqlite.prepare(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = $id AND user_id = $userId`) as Statement<WebhookRow>,
    ofUser: sqlite.prepare(`SELECT id, events FROM webhooks WHERE user_id = ?`) as Statement<{ id: string; events: string }>,
    // Its deliveries go with it (ON DELETE CASCADE; foreign keys are on: src/store/sqlite/db/open.ts).
    delete: sqlite.prepare('DELETE FROM webhooks WHERE id = $id AND user_id = $userId'),
    deliver: sqlite.prepare(`INSERT INTO webhook_deliveries (webhook_id, user_id, event, body, created_at, state, attempts, next_attempt_at)
      VALUES ($webhookId, $userId, $event, $body, $now, 'pending', 0, $now) RETURNING seq`) as Statement<{ seq: number }>,
    delivery: sqlite.prepare(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE seq = ?`) as Statement<DeliveryRow>,
    deliveries: sqlite.prepare(WEBHOOK_SQL.deliveries) as Statement<DeliveryRow>,
    anyDue: sqlite.prepare(WEBHOOK_SQL.anyDue),
    candidates: sqlite.prepare(WEBHOOK_SQL.candidates) as Statement<ClaimCandidate>,
    claimed: sqlite.prepare(WEBHOOK_SQL.claimed) as Statement<DueDelivery>,
    pending: sqlite.prepare(WEBHOOK_SQL.pending) as Statement<{ n: number }>,
    lease: sqlite.prepare(`UPDATE webhook_deliveries SET next_attempt_at = $until WHERE seq = $seq AND state = 'pending'`),
    finish: sqlite.prepare(`UPDATE webhook_deliveries SET state = $state, attempts = attempts + 1, next_attempt_at = $next,
      last_attempt_at = $now, last_status = $status, last_error = $error WHERE seq = $seq AND state = 'pending'`),
    prune: sqlite.prepare(WEBHOOK_SQL.prune),
  }

  /** Webhooks per user, for users that have any. */
  const counts = new Map<string, number>()
  for (const { userId, n } of q.countsByUser.all()) counts.set(userId, n)

  function insertDelivery(webhookId: string, userId: string, event: DeliveryEvent, data: Record<string, unknown>, now: number): number {
    const body = deliveryBody(newId('delivery'), event, now, data)
    return q.deliver.get({ webhookId, userId, event, body, now })!.seq
  }

  const outbox: AlertOutbox = {
    write(userId, event, data, now) {
      if (!counts.has(userId)) return 0
      let made: Record<string, unknown> | undefined
      let written = 0
      for (const hook of q.ofUser.all(userId)) {
        if (!(JSON.parse(hook.events) as string[]).includes(event)) continue
        made ??= data()
        insertDelivery(hook.id, userId, event, made, now)
        written++
      }
      return written
    },
  }

  const insertWebhook = sqlite
    .transaction((webhook: Webhook) => {
      if (q.countOf.get(webhook.userId)!.n >= WEBHOOKS_PER_USER) throw new AppError('CONFLICT', `a user may have at most ${WEBHOOKS_PER_USER} webhooks; delete one first`)
      q.insert.run({ ...webhook, events: JSON.stringify(webhook.events) })
    })
    .immediate

  const store: WebhookStore = {
    async countWebhooks(userId) {
      return q.countOf.get(userId)!.n
    },
    async insertWebhook(webhook) {
      insertWebhook(webhook)
      counts.set(webhook.userId, (counts.get(webhook.userId) ?? 0) + 1)
    },
    async listWebhooks(userId, { limit, after }) {
      const from = after ?? { createdAt: Number.MAX_SAFE_INTEGER, id: '' }
      return q.list.all({ userId, limit, createdAt: from.createdAt, id: from.id }).map(toWebhook)
    },
    async getWebhook(userId, id) {
      const row = q.get.get({ id, userId })
      return row ? toWebhook(row) : null
    },
    async deleteWebhook(userId, id) {
      const deleted = q.delete.run({ id, userId }).changes > 0
      if (deleted) {
        const left = (counts.get(userId) ?? 1) - 1
        if (left > 0) counts.set(userId, left)
        else counts.delete(userId)
      }
      return deleted
    },
    async listDeliveries(webhookId, beforeSeq, limit) {
      return q.deliveries.all({ webhookId, before: beforeSeq ?? Number.MAX_SAFE_INTEGER, limit }).map(toDelivery)
    },
    async raiseAlert(userId, event, data, now) {
      return sqlite.transaction(() => outbox.write(userId, event, () => data, now)).immediate()
    },
    async pingWebhook(userId, webhookId, now) {
      return sqlite
        .transaction(() => {
          if (!q.get.get({ id: webhookId, userId })) return null
          if (q.pending.get({ webhookId })!.n >= PENDING_PINGS_MAX)
            throw new AppError('CONFLICT', `this webhook has ${PENDING_PINGS_MAX} deliveries waiting to be sent; ping it again once they are delivered or given up on`)
          const seq = insertDelivery(webhookId, userId, 'ping', { webhook_id: webhookId, message: 'a test delivery from Ground Console' }, now)
          return toDelivery(q.delivery.get(seq)!)
        })
        .immediate()
    },
    // The sender's bookkeeping is acknowledged to nobody: committed without waiting for a flush (a power
    // cut may lose an attempt's record, and the delivery is then sent again: receivers dedupe by `id`).
    async claimDeliveries(now, room, leaseUntil) {
      if (room.limit <= 0) return []
      // Reads first, outside any transaction: the sender asks every second, and with nothing due it costs
      // one indexed read and takes no write lock at all. Only this server's one sender claims, so nothing
      // can claim between the reads and the lease; a row deleted meanwhile (its webhook deleted) leases
      // nothing and is left out.
      if (!q.anyDue.get({ now })) return []
      const full = [...room.inFlight].filter(([, n]) => n >= room.perUser).map(([userId]) => userId)
      const candidates = q.candidates.all({ now, busy: JSON.stringify(room.busy), full: JSON.stringify(full) })
      const picked = pickFairly(candidates, room)
      if (picked.length === 0) return []
      return durable.commitUnflushed(() =>
        sqlite
          .transaction(() =>
            picked.flatMap(({ seq }) => {
              const row = q.claimed.get({ seq })
              return row && q.lease.run({ seq, until: leaseUntil }).changes > 0 ? [row] : []
            }),
          )
          .immediate(),
      )
    },
    async finishAttempt(seq, outcome, now, retryAt) {
      const state: DeliveryState = outcome.delivered ? 'delivered' : retryAt === null ? 'failed' : 'pending'
      durable.commitUnflushed(() =>
        q.finish.run({
          seq,
          state,
          next: state === 'pending' ? retryAt : null,
          now,
          status: outcome.status,
          error: outcome.delivered ? null : outcome.error.slice(0, 500),
        }),
      )
    },
    async pruneDeliveries(cutoff, limit) {
      return durable.commitUnflushed(() => q.prune.run({ cutoff, limit }).changes)
    },
  }
  return { outbox, store }
}
