// Webhooks and their outbox on PostgreSQL (docs/api.md §1 "Webhooks", docs/alerts.md; the SQLite twin is
// src/store/sqlite/webhooks.ts). An alert is a row per subscribed webhook in webhook_deliveries, written by
// the outbox inside the transaction of what it reports, so a status change is never committed without its
// alert nor an alert without its change. The sender (src/services/webhooks.ts) of every node claims due
// rows, posts them and records each attempt here.
//
// Several nodes share the table: nothing about webhooks is kept in memory (another node may add or delete
// one), and a claim locks the rows it hands out (FOR UPDATE SKIP LOCKED) while it leases them, so two
// nodes claiming at once never send the same delivery.
import type { PgDb } from './db/open'
import type { PgAlertOutbox } from './alerts'
import { AppError } from '../../domain/errors'
import { newId } from '../../domain/ids'
import { deliveryBody, deliveryIdOf, pickFairly, PENDING_PINGS_MAX, WEBHOOKS_PER_USER, type AlertEvent, type ClaimCandidate, type DeliveryEvent, type DeliveryState } from '../../domain/webhooks'
import type { ClaimRoom, DueDelivery, Store, Webhook, WebhookDelivery, WebhookStore } from '../types'
import { int, intOrNull, transaction, type Sql } from './tx'


type Row = Record<string, unknown>

const WEBHOOK_COLUMNS = 'id, user_id, url, events, secret, created_at'
const DELIVERY_COLUMNS = 'seq, webhook_id, event, body, created_at, state, attempts, next_attempt_at, last_attempt_at, last_status, last_error'

const toWebhook = (row: Row): Webhook => ({
  id: row.id as string,
  userId: row.user_id as string,
  url: row.url as string,
  events: JSON.parse(row.events as string) as AlertEvent[],
  secret: row.secret as string,
  createdAt: int(row.created_at),
})

const toDelivery = (row: Row): WebhookDelivery => ({
  seq: int(row.seq),
  id: deliveryIdOf(row.body as string),
  webhookId: row.webhook_id as string,
  event: row.event as DeliveryEvent,
  createdAt: int(row.created_at),
  state: row.state as DeliveryState,
  attempts: int(row.attempts),
  nextAttemptAt: intOrNull(row.next_attempt_at),
  lastAttemptAt: intOrNull(row.last_attempt_at),
  lastStatus: intOrNull(row.last_status),
  lastError: (row.last_error as string | null) ?? null,
})


/** Inserts one pending delivery, due now, with `tx`; answers the stored row. */
async function insertDelivery(tx: Sql, webhookId: string, userId: string, event: DeliveryEvent, data: Record<string, unknown>, now: number): Promise<Row> {
  const body = deliveryBody(newId('delivery'), event, now, data)
  const [row] = await tx.unsafe(
    `INSERT INTO webhook_deliveries (webhook_id, user_id, event, body, created_at, state, attempts, next_attempt_at)
    VALUES ($1, $2, $3, $4, $5, 'pending', 0, $5) RETURNING ${DELIVERY_COLUMNS}`,
    [webhookId, userId, event, body, now],
  )
  return row as Row
}

/**
 * The outbox: the user's webhooks read in the caller's transaction (webhooks_user_idx), in their list's
 * creation order as the twin. FOR KEY SHARE holds each one until the transaction ends, so a webhook
 * deleted meanwhile by another node is either skipped or deleted after (with its new row), never a
 * foreign key failure of the change being reported.
 */
const outbox: PgAlertOutbox = {
  async write(tx, userId, event, data, now) {
    const hooks = (await tx`SELECT id, events FROM webhooks WHERE user_id = ${userId} ORDER BY created_at, id FOR KEY SHARE`) as Row[]
    let made: Record<string, unknown> | undefined
    let written = 0
    for (const hook of hooks) {
      if (!(JSON.parse(hook.events as string) as string[]).includes(event)) continue
      made ??= data()
      await insertDelivery(tx, hook.id as string, userId, event, made, now)
      written++
    }
    return written
  },
}

/**
 * Every webhook with a due row, its oldest (one probe of webhook_deliveries_pending_idx each), but not
 * the busy ones nor those of users with no slot left: at most WEBHOOKS_PER_USER per user, so bounded by
 * the users, not by any backlog. Read without locks: claim() locks what it picks.
 */
async function candidates(sql: Sql, now: number, busy: readonly string[], full: readonly string[]): Promise<ClaimCandidate[]> {
  const rows = (await sql`
    SELECT w.id AS webhook_id, w.user_id, d.seq, d.next_attempt_at AS due FROM webhooks w
    CROSS JOIN LATERAL (SELECT p.seq, p.next_attempt_at FROM webhook_deliveries p
      WHERE p.webhook_id = w.id AND p.state = 'pending' AND p.next_attempt_at <= ${now}
      ORDER BY p.next_attempt_at, p.seq LIMIT 1) d
    WHERE NOT (w.id = ANY(${sql.array([...busy], 'TEXT')})) AND NOT (w.user_id = ANY(${sql.array([...full], 'TEXT')}))`) as Row[]
  return rows.map((row) => ({ webhookId: row.webhook_id as string, userId: row.user_id as string, seq: int(row.seq), due: int(row.due) }))
}

/**
 * Leases the picked rows until `leaseUntil`, in one statement (its own transaction): each row is locked
 * with FOR UPDATE SKIP LOCKED and taken only if still pending and due, so a row another node is claiming
 * (locked) or has claimed (leased: no longer due) is left out. Answers the taken rows in `seqs` order.
 */
async function claim(sql: Sql, seqs: readonly number[], now: number, leaseUntil: number): Promise<DueDelivery[]> {
  const rows = (await sql`
    UPDATE webhook_deliveries d SET next_attempt_at = ${leaseUntil}
    FROM (SELECT seq FROM webhook_deliveries WHERE seq = ANY(${sql.array([...seqs], 'INT8')})
        AND state = 'pending' AND next_attempt_at <= ${now} FOR UPDATE SKIP LOCKED) c, webhooks w
    WHERE d.seq = c.seq AND w.id = d.webhook_id
    RETURNING d.seq, d.webhook_id, w.user_id, d.body, d.created_at, d.attempts, w.url, w.secret`) as Row[]
  const order = new Map(seqs.map((seq, i) => [seq, i]))
  return rows
    .map((row) => ({
      seq: int(row.seq),
      webhookId: row.webhook_id as string,
      userId: row.user_id as string,
      body: row.body as string,
      createdAt: int(row.created_at),
      attempts: int(row.attempts),
      url: row.url as string,
      secret: row.secret as string,
    }))
    .sort((a, b) => order.get(a.seq)! - order.get(b.seq)!)
}

/** The webhooks themselves: the per-user cap, the list, one, a delete. */
function webhookMethods(sql: Sql): Pick<WebhookStore, 'countWebhooks' | 'insertWebhook' | 'listWebhooks' | 'getWebhook' | 'deleteWebhook'> {
  return {
    async countWebhooks(userId) {
      const [row] = await sql`SELECT count(*) AS n FROM webhooks WHERE user_id = ${userId}`
      return int(row!.n)
    },
    // The user's row, locked (FOR NO KEY UPDATE: foreign key checks on it go on), serializes a user's
    // inserts on every node, so two at once cannot both pass the count.
    async insertWebhook(webhook) {
      await transaction(sql, async (tx) => {
        await tx`SELECT 1 FROM users WHERE id = ${webhook.userId} FOR NO KEY UPDATE`
        const [row] = await tx`SELECT count(*) AS n FROM webhooks WHERE user_id = ${webhook.userId}`
        if (int(row!.n) >= WEBHOOKS_PER_USER) throw new AppError('CONFLICT', `a user may have at most ${WEBHOOKS_PER_USER} webhooks; delete one first`)
        await tx`INSERT INTO webhooks (id, user_id, url, events, secret, created_at)
          VALUES (${webhook.id}, ${webhook.userId}, ${webhook.url}, ${JSON.stringify(webhook.events)}, ${webhook.secret}, ${webhook.createdAt})`
      })
    },
    // Newest first along webhooks_user_idx (user_id, created_at, id), ties by id (docs/lists.md).
    async listWebhooks(userId, { limit, after }) {
      const rows = after
        ? await sql.unsafe(
            `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE user_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`,
            [userId, after.createdAt, after.id, limit],
          )
        : await sql.unsafe(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [userId, limit])
      return (rows as Row[]).map(toWebhook)
    },
    async getWebhook(userId, id) {
      const [row] = await sql.unsafe(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 AND user_id = $2`, [id, userId])
      return row ? toWebhook(row as Row) : null
    },
    // Its deliveries go with it (ON DELETE CASCADE).
    async deleteWebhook(userId, id) {
      const deleted = await sql`DELETE FROM webhooks WHERE id = ${id} AND user_id = ${userId} RETURNING id`
      return deleted.length > 0
    },
  }
}

/** The outbox and delivery log: what is written, claimed, attempted and pruned. */
function deliveryMethods(sql: Sql): Omit<WebhookStore, keyof ReturnType<typeof webhookMethods>> {
  return {
    // Along webhook_deliveries_hook_idx (webhook_id, seq).
    async listDeliveries(webhookId, beforeSeq, limit) {
      const rows = await sql.unsafe(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`, [
        webhookId,
        beforeSeq ?? Number.MAX_SAFE_INTEGER,
        limit,
      ])
      return (rows as Row[]).map(toDelivery)
    },
    async raiseAlert(userId, event, data, now) {
      return transaction(sql, (tx) => outbox.write(tx, userId, event, () => data, now))
    },
    async pingWebhook(userId, webhookId, now) {
      return transaction(sql, (tx) => ping(tx, userId, webhookId, now))
    },
    async claimDeliveries(now, room, leaseUntil) {
      if (room.limit <= 0) return []
      // With nothing due (the sender asks every second), one read of webhook_deliveries_due_idx.
      const [due] = await sql`SELECT 1 AS due FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ${now} LIMIT 1`
      if (!due) return []
      const full = [...room.inFlight].filter(([, n]) => n >= room.perUser).map(([userId]) => userId)
      const picked = pickFairly(await candidates(sql, now, room.busy, full), room)
      if (picked.length === 0) return []
      return claim(sql, picked.map((c) => c.seq), now, leaseUntil)
    },
    async finishAttempt(seq, outcome, now, retryAt) {
      const state: DeliveryState = outcome.delivered ? 'delivered' : retryAt === null ? 'failed' : 'pending'
      const error = outcome.delivered ? null : outcome.error.slice(0, 500)
      await sql`UPDATE webhook_deliveries SET state = ${state}, attempts = attempts + 1, next_attempt_at = ${state === 'pending' ? retryAt : null}::int8,
        last_attempt_at = ${now}, last_status = ${outcome.status}::int8, last_error = ${error}::text WHERE seq = ${seq} AND state = 'pending'`
    },
    // Delivered and failed rows made before the cutoff, along the partial webhook_deliveries_done_idx
    // (created_at) of those rows only: pending rows, however many and however old, are never in the way.
    async pruneDeliveries(cutoff, limit) {
      const deleted = await sql`DELETE FROM webhook_deliveries WHERE seq IN (
        SELECT seq FROM webhook_deliveries WHERE state != 'pending' AND created_at < ${cutoff} LIMIT ${limit})`
      return deleted.count
    },
  }
}

/**
 * A ping, with `tx`: the webhook's row locked (FOR NO KEY UPDATE, which the outbox's FOR KEY SHARE does not
 * wait for) so that two pings at once count the pending rows one after the other.
 */
async function ping(tx: Sql, userId: string, webhookId: string, now: number): Promise<WebhookDelivery | null> {
  const [hook] = await tx`SELECT id FROM webhooks WHERE id = ${webhookId} AND user_id = ${userId} FOR NO KEY UPDATE`
  if (!hook) return null
  // The pending rows, counted up to the cap (webhook_deliveries_pending_idx).
  const [pending] = await tx`SELECT count(*) AS n FROM (SELECT 1 FROM webhook_deliveries
    WHERE webhook_id = ${webhookId} AND state = 'pending' LIMIT ${PENDING_PINGS_MAX}) p`
  if (int(pending!.n) >= PENDING_PINGS_MAX)
    throw new AppError('CONFLICT', `this webhook has ${PENDING_PINGS_MAX} deliveries waiting to be sent; ping it again once they are delivered or given up on`)
  const row = await insertDelivery(tx, webhookId, userId, 'ping', { webhook_id: webhookId, message: 'a test delivery from Ground Console' }, now)
  return toDelivery(row)
}

export function createWebhookStores(db: PgDb): { outbox: PgAlertOutbox; store: WebhookStore } {
  return { outbox, store: { ...webhookMethods(db.$client), ...deliveryMethods(db.$client) } }
}
