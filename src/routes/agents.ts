// The fleet (docs/api.md §4): the caller's agents with their latest status and telemetry, newest first, paged;
// one agent; and an agent's kept telemetry samples, newest first, paged (docs/lists.md "Telemetry").
import { Elysia, t } from 'elysia'
import { invalid, notFound } from '../domain/errors'
import { pickTelemetry } from '../domain/telemetry'
import { formatTimestamp } from '../domain/time'
import { agentDto } from '../http/dto'
import { json, noContent } from '../http/json'
import { listPage, queryOf } from '../http/paging'
import type { TelemetryPage } from '../store/types'
import type { RouteDeps } from './deps'
import { documented, listQuery } from '../http/route-doc'
import { Agent, AgentPage, Empty, TelemetrySamplePage } from '../http/schemas'

/** A sample's place in the list, as the cursor carries it: its seq written in digits (src/http/paging.ts ids are text). */
const SEQ = /^[1-9][0-9]{0,15}$/

export const fleetRoutes = ({ store, agents, guard }: RouteDeps) =>
  new Elysia({ name: 'routes/agents', prefix: '/api/agents' })
    .use(guard)
    .get(
      '/',
      async ({ request, principal }) => {
        const userId = principal.user.id
        const { items, next } = await listPage(queryOf(request), ['agents', userId], (page) => store.listAgents(userId, page))
        return json({ agents: items.map(agentDto), ...next })
      },
      { auth: 'any', ...documented({ tag: 'fleet', summary: 'List my agents, newest first', compat: true, auth: 'any', query: t.Object(listQuery), response: { 200: AgentPage } }) },
    )
    .get(
      '/:id',
      async ({ params, principal }) => {
        const agent = await store.getAgent(principal.user.id, params.id)
        if (!agent) throw notFound('agent')
        return json(agentDto(agent))
      },
      { auth: 'any', ...documented({ tag: 'fleet', summary: 'One agent', auth: 'any', errors: [404], response: { 200: Agent } }) },
    )
    .delete(
      '/:id',
      async ({ params, principal }) => {
        if (!(await agents.remove(principal.user.id, params.id))) throw notFound('agent')
        return noContent()
      },
      {
        auth: 'any',
        ...documented({
          tag: 'fleet',
          summary: 'Delete an agent and its telemetry',
          description:
            'Its deployments keep their history (and their `agent_id`). An agent that calls again afterwards is a first contact, a new agent record; to keep a satellite out, revoke its key.',
          auth: 'any',
          changes: true,
          errors: [404],
          response: { 204: Empty },
        }),
      },
    )
    .get(
      '/:id/telemetry',
      async ({ request, params, principal }) => {
        const userId = principal.user.id
        // 404 before the query is judged (docs/api.md §0 order), as the event list does.
        if (!(await store.getAgent(userId, params.id))) throw notFound('agent')
        const { items, next } = await listPage(queryOf(request), ['telemetry', userId, params.id], async (page) => {
          let after: TelemetryPage['after'] = null
          if (page.after) {
            if (!SEQ.test(page.after.id) || !Number.isSafeInteger(Number(page.after.id)))
              throw invalid('cursor', 'is not a cursor of this list (use the next_cursor of the previous page)')
            after = { receivedAt: page.after.createdAt, seq: Number(page.after.id) }
          }
          const rows = await store.listTelemetry(userId, params.id, { limit: page.limit, after })
          return rows.map((row) => ({ createdAt: row.receivedAt, id: String(row.seq), sample: row.sample }))
        })
        // Picked again on the way out, as last_telemetry is (src/http/dto.ts): stored samples may predate the field rule.
        const samples = items.map((row) => ({ received_at: formatTimestamp(row.createdAt), ...pickTelemetry(JSON.parse(row.sample)) }))
        return json({ samples, ...next })
      },
      { auth: 'any', ...documented({ tag: 'fleet', summary: 'An agent’s telemetry samples, newest first', auth: 'any', query: t.Object(listQuery), errors: [404], response: { 200: TelemetrySamplePage } }) },
    )
