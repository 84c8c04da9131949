// Deployments (docs/api.md §2): made from a plan, listed newest first (filtered and paged, docs/lists.md), read
// one by one, cancelled.
import { isCleanText } from '../domain/text'
import { Elysia, t } from 'elysia'
import { DEPLOYMENT_MODES, DEPLOYMENT_STATUSES, decideTransition, type DeploymentMode, type DeploymentStatus } from '../domain/deployment'
import { AppError, invalid, notFound } from '../domain/errors'
import { newId } from '../domain/ids'
import { EVENT_ROW_BYTES } from '../domain/quota'
import { auditEntry } from '../domain/audit'
import { deploymentDto } from '../http/dto'
import { json, parseJson, readBody } from '../http/json'
import { archivedParam, listPage, queryOf, queryParam } from '../http/paging'
import { archivedQuery, documented, listQuery } from '../http/route-doc'
import { CancelledDeployment, CreatedDeployment, Deployment, DeploymentPage } from '../http/schemas'
import { validate } from '../http/validate'
import { actorOf, type RouteDeps } from './deps'

/** The compat page: the 50 most recent (docs/api.md §2). */
export const DEPLOYMENT_LIST_LIMIT = 50

const NewDeploymentBody = t.Object({
  plan_id: t.String({ minLength: 1, maxLength: 64 }),
  speed_multiplier: t.Optional(t.Number({ exclusiveMinimum: 0, maximum: 10000, error: 'must be a number > 0 and ≤ 10000' })),
  mode: t.Optional(t.UnionEnum(DEPLOYMENT_MODES, { error: 'must be "simulated" or "live"' })),
})

export const deploymentRoutes = (deps: RouteDeps) => {
  const { store, replay, reports, quotas, guard, clock } = deps
  return (
  new Elysia({ name: 'routes/deployments', prefix: '/api/deployments' })
    .use(guard)
    .post(
      '/',
      async ({ request, principal }) => {
        const raw = parseJson(await readBody(request)) as { plan_id?: unknown }
        const userId = principal.user.id
        // An id no row can have (U+0000, a lone surrogate: src/domain/text.ts) is not looked up: not found.
        const plan = typeof raw?.plan_id === 'string' && isCleanText(raw.plan_id) ? await store.getPlan(userId, raw.plan_id) : null
        // An unknown plan answers 404 before the rest of the body is judged (docs/api.md §0 order).
        if (typeof raw?.plan_id === 'string' && !plan) throw notFound('plan')
        // An archived plan makes no new deployment until it is restored (docs/api.md §5 "Archiving a plan"): 409 before the body's 400.
        if (plan?.archivedAt != null) throw new AppError('CONFLICT', 'plan is archived: restore it (POST /api/plans/{id}/unarchive) to deploy it')
        const body = validate(NewDeploymentBody, raw)
        const mode = body.mode ?? 'simulated'
        // The replay stores the plan's events for the user: past the storage quota it is refused like a report.
        if (mode === 'simulated') await quotas.admitReplay(userId, Buffer.byteLength(plan!.planData) + plan!.eventCount * EVENT_ROW_BYTES)
        const now = clock()
        // A simulated deployment starts playing as it is created: one insert, so a failure can never
        // leave it created but not started.
        const start = decideTransition({ status: 'pending', mode }, 'replay_start')
        const deployment = {
          id: newId('deployment'),
          userId,
          missionId: plan!.missionId,
          planId: plan!.id,
          satelliteId: plan!.satelliteId,
          status: start?.to ?? 'pending',
          mode,
          speedMultiplier: body.speed_multiplier ?? 100,
          agentId: null,
          createdAt: now,
          dispatchedAt: null,
          startedAt: start ? now : null,
          completedAt: null,
          eventCount: 0,
          replayActive: start !== null,
        }
        await store.insertDeployment(deployment, reports.changed)
        if (start) replay.track({ ...deployment, replayCursor: 0 }, plan!.planData)
        // The answer keeps the compat shape of a created deployment.
        return json({ id: deployment.id, status: 'pending' }, 201)
      },
      {
        auth: 'any',
        ...documented({
          tag: 'deployments',
          summary: 'Make a deployment from a plan',
          description: 'Simulated (the default) starts playing the plan at once, at `speed_multiplier` (default 100); live waits for an agent to poll it. The answer keeps the compat shape.',
          compat: true,
          auth: 'any',
          body: NewDeploymentBody,
          changes: true,
          errors: [404, 409],
          response: { 201: CreatedDeployment },
        }),
      },
    )
    .get(
      '/',
      async ({ request, principal }) => {
        const userId = principal.user.id
        const query = queryOf(request)
        const filters = readDeploymentFilters(query)
        const scope = ['deployments', userId, filters.statuses?.join(',') ?? null, filters.missionId, filters.mode, filters.satelliteId, filters.archived]
        const { items, next } = await listPage(query, scope, (page) => store.listDeployments(userId, { ...page, ...filters }), { limitDefault: DEPLOYMENT_LIST_LIMIT })
        return json({ deployments: items.map(deploymentDto), ...next })
      },
      {
        auth: 'any',
        ...documented({
          tag: 'deployments',
          summary: 'List deployments, newest first',
          description: 'Without `limit` a page holds the 50 most recent (compat).',
          compat: true,
          auth: 'any',
          query: t.Object({
            status: t.Optional(t.String({ description: `a comma list of ${DEPLOYMENT_STATUSES.join(', ')}` })),
            mode: t.Optional(t.UnionEnum(DEPLOYMENT_MODES)),
            mission_id: t.Optional(t.String()),
            satellite_id: t.Optional(t.String()),
            archived: archivedQuery,
            ...listQuery,
          }),
          response: { 200: DeploymentPage },
        }),
      },
    )
    .get(
      '/:id',
      async ({ params, principal }) => {
        const deployment = await store.getDeployment(principal.user.id, params.id)
        if (!deployment) throw notFound('deployment')
        return json(deploymentDto(deployment))
      },
      { auth: 'any', ...documented({ tag: 'deployments', summary: 'One deployment', compat: true, auth: 'any', errors: [404], response: { 200: Deployment } }) },
    )
    .post(
      '/:id/cancel',
      async ({ params, principal, request }) => {
        const actor = actorOf(deps, request, principal.user)
        const detail = principal.via === 'key' ? { via: 'key' } : null
        const change = await store.cancelDeployment(principal.user.id, params.id, actor.at, auditEntry(actor, 'deployment.cancel', params.id, detail), reports.changed)
        replay.forget(change.deployment.id)
        return json({ id: change.deployment.id, status: change.deployment.status })
      },
      {
        auth: 'any',
        ...documented({
          tag: 'deployments',
          summary: 'Cancel a deployment',
          description: 'Allowed from pending, dispatched and running (docs/api.md §2.1); a finished deployment is a 409.',
          auth: 'any',
          changes: true,
          errors: [404, 409],
          response: { 200: CancelledDeployment },
        }),
      },
    )
    .post(
      '/:id/archive',
      async ({ params, principal }) => {
        const change = await store.setDeploymentArchived(principal.user.id, params.id, true, clock(), reports.changed)
        return json(deploymentDto(change.deployment))
      },
      {
        auth: 'any',
        ...documented({
          tag: 'deployments',
          summary: 'Archive a finished deployment',
          description:
            'Only a completed, failed or cancelled deployment (else 409). Hidden from the default list (see `archived`), still read by id, its events kept; the list stream sends it with `archived_at` set. Archiving again keeps the first `archived_at`.',
          auth: 'any',
          changes: true,
          errors: [404, 409],
          response: { 200: Deployment },
        }),
      },
    )
    .post(
      '/:id/unarchive',
      async ({ params, principal }) => {
        const change = await store.setDeploymentArchived(principal.user.id, params.id, false, clock(), reports.changed)
        return json(deploymentDto(change.deployment))
      },
      {
        auth: 'any',
        ...documented({
          tag: 'deployments',
          summary: 'Restore an archived deployment',
          description: 'Back in the default list; the list stream sends it with `archived_at` null. A deployment that is not archived is answered as it is.',
          auth: 'any',
          changes: true,
          errors: [404],
          response: { 200: Deployment },
        }),
      },
    )
  )
}

const isStatus = (value: string): value is DeploymentStatus => (DEPLOYMENT_STATUSES as readonly string[]).includes(value)
const isMode = (value: string): value is DeploymentMode => (DEPLOYMENT_MODES as readonly string[]).includes(value)

/**
 * The list's filters (docs/lists.md): `status` a comma list of statuses, `mode` one mode, `mission_id` and
 * `satellite_id` exact (empty: no filter, as `mission_id` of the plan list). Statuses are kept sorted and
 * once each, so `running,failed` and `failed,running` are one filter and take each other's cursors.
 */
function readDeploymentFilters(query: URLSearchParams) {
  const status = queryParam(query, 'status')
  const statuses = status === undefined ? null : status.split(',')
  if (statuses && !statuses.every(isStatus)) throw invalid('status', `must be a comma list of ${DEPLOYMENT_STATUSES.join(', ')}`)
  const mode = queryParam(query, 'mode') ?? null
  if (mode !== null && !isMode(mode)) throw invalid('mode', 'must be "simulated" or "live"')
  return {
    statuses: statuses && DEPLOYMENT_STATUSES.filter((s) => statuses.includes(s)),
    missionId: queryParam(query, 'mission_id') || null,
    mode,
    satelliteId: queryParam(query, 'satellite_id') || null,
    archived: archivedParam(query),
  }
}
