// GET /api/usage (docs/operations.md "Quotas"): what the caller has used of the per-user quotas — new events
// in this period and the bytes their stored events take — with the limits, null where a quota is off.
import { Elysia } from 'elysia'
import { formatTimestamp } from '../domain/time'
import { json } from '../http/json'
import { documented } from '../http/route-doc'
import { Usage } from '../http/schemas'
import type { RouteDeps } from './deps'

export const usageRoutes = ({ quotas, guard }: RouteDeps) =>
  new Elysia({ name: 'routes/usage', prefix: '/api/usage' }).use(guard).get(
    '/',
    async ({ principal }) => {
      const { events, storage } = await quotas.usage(principal.user.id)
      return json({
        events: events && { used: events.used, limit: events.limit, period_ends_at: formatTimestamp(events.periodEndsAt) },
        storage: { used_bytes: storage.usedBytes, limit_bytes: storage.limitBytes },
      })
    },
    {
      auth: 'any',
      ...documented({
        tag: 'deployments',
        summary: 'My usage of the quotas',
        description: '`events` is null unless `--quota-events-per-user` is set; `limit_bytes` is null unless `--quota-storage-per-user` is (docs/operations.md "Quotas").',
        auth: 'any',
        response: { 200: Usage },
      }),
    },
  )

