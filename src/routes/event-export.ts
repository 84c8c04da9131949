// GET /api/deployments/{id}/events/export (docs/api.md §3.3, docs/events.md): every event of a deployment — or
// of a filter — streamed in list order as NDJSON or CSV, with no page limit and in constant memory.
import { Elysia, t } from 'elysia'
import { notFound } from '../domain/errors'
import { errorDetail } from '../log'
import { EXPORT_PAGE, exportStream, readExportFormat } from '../http/event-export'
import { isEmptyRange, readEventFilter } from '../http/event-query'
import { queryOf } from '../http/paging'
import type { EventPosition } from '../store/types'
import type { RouteDeps } from './deps'
import { documented } from '../http/route-doc'
import { Text } from '../http/schemas'
import { eventFilterQuery } from './events'

export const eventExportRoutes = ({ store, guard, log }: RouteDeps) =>
  new Elysia({ name: 'routes/event-export', prefix: '/api/deployments/:id/events' }).use(guard).get(
    '/export',
    async ({ request, params, principal }) => {
      const deploymentId = params.id
      if ((await store.getEventCount(principal.user.id, deploymentId)) === null) throw notFound('deployment')
      const query = queryOf(request)
      const format = readExportFormat(query)
      const filter = readEventFilter(query)
      // Exactly the events stored when the export starts (all of them committed): none stored later, even
      // one whose place is still ahead, so the export ends and holds what the deployment held at one moment.
      const arrivedBy = await store.lastArrival(deploymentId)
      const read = (after: EventPosition | null) => store.listEvents(deploymentId, { filter, after, arrivedBy, limit: EXPORT_PAGE })
      const first = isEmptyRange(filter) ? [] : await read(null)
      const body = exportStream(format, first, read, (error) => log.error('event export broken off', { deployment: deploymentId, error: errorDetail(error) }))
      return new Response(body, {
        headers: { 'content-type': format.contentType, 'content-disposition': `attachment; filename="${deploymentId}-events.${format.extension}"` },
      })
    },
    {
      auth: 'any',
      ...documented({
        tag: 'events',
        summary: 'Export a deployment’s events',
        description: 'Every event (or every match of the filters) stored when the export starts, in list order, streamed as NDJSON (one list item per line) or CSV (docs/events.md).',
        auth: 'any',
        query: t.Object({ format: t.Optional(t.UnionEnum(['ndjson', 'csv'], { description: 'default ndjson' })), ...eventFilterQuery }),
        media: { 200: 'application/x-ndjson or text/csv' },
        errors: [404],
        response: { 200: Text },
      }),
    },
  )
