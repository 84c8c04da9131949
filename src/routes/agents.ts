// The fleet (api.md §4): the caller's agents with their latest status and telemetry.
import { Elysia } from 'elysia'
import { agentDto } from '../http/dto'
import { json } from '../http/json'
import type { RouteDeps } from './deps'

export const fleetRoutes = ({ store, guard }: RouteDeps) =>
  new Elysia({ name: 'routes/agents', prefix: '/api/agents' })
    .use(guard)
    .get('/', async ({ principal }) => json({ agents: (await store.listAgents(principal.user.id)).map(agentDto) }), { auth: 'any' })
