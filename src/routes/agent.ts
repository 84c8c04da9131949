// The agent protocol (docs/api.md §4), as the stock rotastellar-agent speaks it: register, poll, telemetry.
import { Elysia, t } from 'elysia'
import { AGENT_STATUSES } from '../domain/agent'
import { AppError, invalid } from '../domain/errors'
import { pickTelemetry } from '../domain/telemetry'
import { formatTimestamp, parseTimestamp } from '../domain/time'
import { json, noContent, parseJson, rawJson, readBody } from '../http/json'
import { validate } from '../http/validate'
import type { RouteDeps } from './deps'
import { documented } from '../http/route-doc'
import { Empty, Ok, Registered, Workload } from '../http/schemas'

const optional = <T extends Parameters<typeof t.Union>[0][number]>(schema: T) => t.Optional(t.Union([schema, t.Null()]))

const RegisterBody = t.Object({
  agent_id: t.String({ minLength: 1, maxLength: 128 }),
  satellite_id: optional(t.String({ minLength: 1, maxLength: 64 })),
  satellite_name: optional(t.String({ maxLength: 200 })),
  agent_version: optional(t.String({ maxLength: 64 })),
  orbit_altitude_km: optional(t.Number()),
})

const TelemetryBody = t.Object({
  agent_id: t.Optional(t.String({ maxLength: 128 })),
  status: t.Optional(t.UnionEnum(AGENT_STATUSES, { error: 'must be one of idle, executing, transferring, offline' })),
  timestamp: t.Optional(t.String({ maxLength: 64 })),
  cpu_percent: optional(t.Number()),
  memory_mb: optional(t.Number()),
  battery_percent: optional(t.Number()),
  temperature_c: optional(t.Number()),
  position: optional(t.Object({ lat: t.Number(), lon: t.Number(), altitude_km: t.Number(), in_eclipse: t.Boolean() })),
  compute_capacity: optional(t.Number()),
})

export const agentRoutes = ({ agents, rateLimits, guard, clock }: RouteDeps) =>
  new Elysia({ name: 'routes/agent', prefix: '/api/agent' })
    .use(guard)
    .post(
      '/register',
      async ({ request, principal }) => {
        const agentId = principal.agentId!
        const body = validate(RegisterBody, parseJson(await readBody(request)))
        if (body.agent_id !== agentId) throw invalid('agent_id', `must equal the X-Agent-ID header (${agentId})`)
        const agent = await agents.register(principal.user.id, agentId, {
          satelliteId: body.satellite_id ?? undefined,
          satelliteName: body.satellite_name ?? undefined,
          agentVersion: body.agent_version ?? undefined,
          orbitAltitudeKm: body.orbit_altitude_km ?? undefined,
        })
        return json({ id: agent.id, status: 'idle' }, 201)
      },
      {
        auth: 'agent',
        ...documented({ tag: 'agent', summary: 'Register the agent', description: '`agent_id` must equal X-Agent-ID. Registering again updates the fields sent.', compat: true, auth: 'agent', body: RegisterBody, response: { 201: Registered } }),
      },
    )
    .get(
      '/workloads',
      async ({ principal, request }) => {
        // Elysia answers HEAD with this handler, and a poll hands a deployment out: a HEAD would dispatch work
        // and throw it away. No route serves HEAD here, as none serves PUT (docs/http.md).
        if (request.method === 'HEAD') throw new AppError('NOT_FOUND', 'no route for HEAD /api/agent/workloads: GET polls for work (and takes it)')
        const agentId = principal.agentId!
        rateLimits.check('poll', `${principal.user.id}\n${agentId}`)
        const workload = await agents.poll(principal.user.id, agentId)
        // "No work" must be 204 with an empty body: the stock agent cannot parse anything else as idle.
        return workload !== null ? rawJson(workload) : noContent()
      },
      {
        auth: 'agent',
        ...documented({
          tag: 'agent',
          summary: 'Poll for work',
          description: 'The oldest pending live deployment for this agent’s satellite, now `dispatched` to it; 204 with an empty body when there is none (the stock agent reads nothing else as idle).',
          compat: true,
          auth: 'agent',
          errors: [404, 429],
          response: { 200: Workload, 204: Empty },
        }),
      },
    )
    .post(
      '/telemetry',
      async ({ request, principal }) => {
        const agentId = principal.agentId!
        rateLimits.check('telemetry', `${principal.user.id}\n${agentId}`)
        const body = validate(TelemetryBody, parseJson(await readBody(request)))
        if (body.agent_id !== undefined && body.agent_id !== agentId) throw invalid('agent_id', `must equal the X-Agent-ID header (${agentId})`)
        if (body.timestamp !== undefined && parseTimestamp(body.timestamp) === null)
          throw invalid('timestamp', 'must be an RFC 3339 timestamp with an offset')
        // Field by field: unknown fields, which could be large, are never stored (docs/lists.md).
        const sample = pickTelemetry({ ...body, agent_id: agentId, timestamp: body.timestamp ?? formatTimestamp(clock()) })
        await agents.telemetry(principal.user.id, agentId, { status: body.status, json: JSON.stringify(sample) })
        return json({ ok: true })
      },
      {
        auth: 'agent',
        ...documented({
          tag: 'agent',
          summary: 'Send a telemetry sample',
          description: 'Only the fields listed are kept; the newest 1 000 samples per agent, for `--telemetry-retention` (docs/operations.md).',
          compat: true,
          auth: 'agent',
          body: TelemetryBody,
          errors: [429],
          response: { 200: Ok },
        }),
      },
    )
