// Webhooks (docs/api.md §1 "Webhooks"): a user's targets for alerts, created (the signing secret shown
// once), listed, deleted, pinged, and their delivery log. Sessions and keys alike, as missions.
import { randomBytes } from 'node:crypto'
import { Elysia, t } from 'elysia'
import { AppError, notFound } from '../domain/errors'
import { newId } from '../domain/ids'
import { ALERT_EVENTS, checkWebhookUrl, normaliseEvents, PENDING_PINGS_MAX, WEBHOOK_URL_MAX, WEBHOOKS_PER_USER } from '../domain/webhooks'
import { deliveryDto, webhookDto } from '../http/dto'
import { json, noContent, parseJson, readBody } from '../http/json'
import { listPage, positionPage, queryOf, type PositionCodec } from '../http/paging'
import { validate } from '../http/validate'
import { documented, listQuery } from '../http/route-doc'
import { Empty, NewWebhook, Webhook, WebhookDelivery, WebhookDeliveryPage, WebhookPage } from '../http/schemas'
import type { WebhookSender } from '../services/webhooks'
import type { RouteDeps } from './deps'

const NewWebhookBody = t.Object({
  url: t.String({ minLength: 1, maxLength: WEBHOOK_URL_MAX, description: 'http:// or https://, no user:password@; LAN addresses are allowed' }),
  events: t.Array(t.UnionEnum(ALERT_EVENTS, { error: `must be one of ${ALERT_EVENTS.join(', ')}` }), { minItems: 1, maxItems: 16, description: 'the alerts it takes, at least one' }),
})

/** A signing secret: 32 random bytes, base64url, after a prefix that says what it is. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`

/** A delivery's place in the log: its seq. */
const DELIVERY_POSITION: PositionCodec<{ seq: number }, number> = {
  arity: 1,
  write: ({ seq }) => [seq],
  read: ([seq]) => (Number.isSafeInteger(seq) && (seq as number) > 0 ? (seq as number) : null),
}

export const webhookRoutes = ({ store, guard, clock }: RouteDeps, sender: Pick<WebhookSender, 'nudge'>) =>
  new Elysia({ name: 'routes/webhooks', prefix: '/api/webhooks' })
    .use(guard)
    .post(
      '/',
      async ({ request, principal }) => {
        const text = await readBody(request)
        // The limit's 409 before the body's 400 (docs/api.md §0 order); the insert checks it again, in its transaction.
        if ((await store.countWebhooks(principal.user.id)) >= WEBHOOKS_PER_USER)
          throw new AppError('CONFLICT', `a user may have at most ${WEBHOOKS_PER_USER} webhooks; delete one first`)
        const body = validate(NewWebhookBody, parseJson(text))
        const url = checkWebhookUrl(body.url)
        const webhook = { id: newId('webhook'), userId: principal.user.id, url, events: normaliseEvents(body.events), secret: newSecret(), createdAt: clock() }
        await store.insertWebhook(webhook)
        return json({ ...webhookDto(webhook), secret: webhook.secret }, 201)
      },
      {
        auth: 'any',
        ...documented({
          tag: 'webhooks',
          summary: 'Create a webhook',
          description: `The signing secret is in this answer only. At most 20 webhooks per user (409 beyond). Alerts: ${ALERT_EVENTS.join(', ')}.`,
          auth: 'any',
          body: NewWebhookBody,
          changes: true,
          errors: [409],
          response: { 201: NewWebhook },
        }),
      },
    )
    .get(
      '/',
      async ({ request, principal }) => {
        const userId = principal.user.id
        const { items, next } = await listPage(queryOf(request), ['webhooks', userId], (page) => store.listWebhooks(userId, page))
        const maskUrl = principal.scope !== undefined && principal.scope !== 'full'
        return json({ webhooks: items.map((w) => webhookDto(w, { maskUrl })), ...next })
      },
      { auth: 'any', ...documented({ tag: 'webhooks', summary: 'List my webhooks, newest first', auth: 'any', query: t.Object(listQuery), response: { 200: WebhookPage } }) },
    )
    .get(
      '/:id',
      async ({ params, principal }) => {
        const webhook = await store.getWebhook(principal.user.id, params.id)
        if (!webhook) throw notFound('webhook')
        return json(webhookDto(webhook, { maskUrl: principal.scope !== undefined && principal.scope !== 'full' }))
      },
      { auth: 'any', ...documented({ tag: 'webhooks', summary: 'One webhook (never its secret)', auth: 'any', errors: [404], response: { 200: Webhook } }) },
    )
    .delete(
      '/:id',
      async ({ params, principal }) => {
        if (!(await store.deleteWebhook(principal.user.id, params.id))) throw notFound('webhook')
        return noContent()
      },
      {
        auth: 'any',
        ...documented({ tag: 'webhooks', summary: 'Delete a webhook', description: 'With its delivery log; nothing more is sent to it (a send in flight may still arrive).', auth: 'any', changes: true, errors: [404], response: { 204: Empty } }),
      },
    )
    .post(
      '/:id/ping',
      async ({ params, principal }) => {
        const delivery = await store.pingWebhook(principal.user.id, params.id, clock())
        if (!delivery) throw notFound('webhook')
        sender.nudge()
        return json(deliveryDto(delivery), 202)
      },
      {
        auth: 'any',
        ...documented({
          tag: 'webhooks',
          summary: 'Send a test delivery',
          description: `A \`ping\` delivery to this webhook, sent at once and retried like any other; follow it in the delivery log. 409 while the webhook has ${PENDING_PINGS_MAX} or more deliveries pending.`,
          auth: 'any',
          changes: true,
          errors: [404, 409],
          response: { 202: WebhookDelivery },
        }),
      },
    )
    .get(
      '/:id/deliveries',
      async ({ request, params, principal }) => {
        const webhook = await store.getWebhook(principal.user.id, params.id)
        if (!webhook) throw notFound('webhook')
        // Newest first by the log's own order (seq); the cursor is the last seq served (docs/lists.md).
        const { items, next } = await positionPage(queryOf(request), ['deliveries', principal.user.id, webhook.id], DELIVERY_POSITION, ({ limit, after }) =>
          store.listDeliveries(webhook.id, after, limit),
        )
        return json({ deliveries: items.map(deliveryDto), ...next })
      },
      {
        auth: 'any',
        ...documented({ tag: 'webhooks', summary: 'A webhook’s delivery log, newest first', auth: 'any', errors: [404], query: t.Object(listQuery), response: { 200: WebhookDeliveryPage } }),
      },
    )
