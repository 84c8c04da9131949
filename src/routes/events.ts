// Deployment events (api.md §3): agents report them, anyone with access lists them in mission order.
import { Elysia } from 'elysia'
import { AppError, notFound } from '../domain/errors'
import { eventIdentity, parseEventInput } from '../domain/event'
import { eventJson } from '../http/dto'
import { json, parseJson, rawJson, readBody } from '../http/json'
import { intParam } from '../http/query'
import type { Reporter } from '../store/types'
import type { RouteDeps } from './deps'

export const EVENTS_PAGE_MAX = 500
const IDEMPOTENCY_KEY_MAX = 255

export const eventRoutes = ({ store, rateLimits, guard, clock }: RouteDeps) =>
  new Elysia({ name: 'routes/events', prefix: '/api/deployments/:id/events' })
    .use(guard)
    .post(
      '/',
      async ({ request, params, principal }) => {
        const userId = principal.user.id
        rateLimits.check('events', `${userId}\n${params.id}`)
        const text = await readBody(request)
        const reporter: Reporter = { kind: 'agent', agentId: principal.agentId! }
        let event
        try {
          event = parseEventInput(parseJson(text))
        } catch (error) {
          // A bad body loses to 404/403/409 (api.md §0 order): check the deployment before saying so.
          await store.checkReportable(userId, params.id, reporter)
          throw error
        }
        const key = request.headers.get('idempotency-key')
        if (key !== null && (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX))
          throw new AppError('BAD_REQUEST', `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX} characters`)
        const [result] = await store.recordEvents({ userId, deploymentId: params.id, reporter, events: [{ event, identity: eventIdentity(event, key) }], now: clock() })
        return json({ id: result!.id }, result!.created ? 201 : 200)
      },
      { auth: 'agent' },
    )
    .get(
      '/',
      async ({ params, query, principal }) => {
        const deployment = await store.getDeployment(principal.user.id, params.id)
        if (!deployment) throw notFound('deployment')
        const offset = intParam(query, 'offset', { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 })
        const limit = intParam(query, 'limit', { min: 1, max: EVENTS_PAGE_MAX, fallback: 100 })
        const events = await store.listEvents(deployment.id, { offset, limit })
        return rawJson(`{"events":[${events.map(eventJson).join(',')}],"total":${deployment.eventCount},"offset":${offset},"limit":${limit}}`)
      },
      { auth: 'any' },
    )
