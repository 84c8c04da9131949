// The fleet (api.md §4): the caller's agents with their latest status and telemetry, newest first, paged.
import { Elysia } from 'elysia'
import { agentDto } from '../http/dto'
import { json } from '../http/json'
import { listPage, queryOf } from '../http/paging'
import type { RouteDeps } from './deps'

export const fleetRoutes = ({ store, guard }: RouteDeps) =>
  new Elysia({ name: 'routes/agents', prefix: '/api/agents' })
    .use(guard)
    .get(
      '/',
      async ({ request, principal }) => {
        const userId = principal.user.id
        const { items, next } = await listPage(queryOf(request), ['agents', userId], (page) => store.listAgents(userId, page))
        return json({ agents: items.map(agentDto), ...next })
      },
      { auth: 'any' },
    )
