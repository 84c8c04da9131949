// Deployments (api.md §2): made from a plan, listed newest first, read one by one, cancelled.
import { Elysia, t } from 'elysia'
import { DEPLOYMENT_MODES, decideTransition } from '../domain/deployment'
import { notFound } from '../domain/errors'
import { newId } from '../domain/ids'
import { deploymentDto } from '../http/dto'
import { json, parseJson, readBody } from '../http/json'
import { validate } from '../http/validate'
import type { RouteDeps } from './deps'

export const DEPLOYMENT_LIST_LIMIT = 50

const NewDeploymentBody = t.Object({
  plan_id: t.String({ minLength: 1, maxLength: 64 }),
  speed_multiplier: t.Optional(t.Number({ exclusiveMinimum: 0, maximum: 10000, error: 'must be a number > 0 and ≤ 10000' })),
  mode: t.Optional(t.UnionEnum(DEPLOYMENT_MODES, { error: 'must be "simulated" or "live"' })),
})

export const deploymentRoutes = ({ store, replay, reports, guard, clock }: RouteDeps) =>
  new Elysia({ name: 'routes/deployments', prefix: '/api/deployments' })
    .use(guard)
    .post(
      '/',
      async ({ request, principal }) => {
        const raw = parseJson(await readBody(request)) as { plan_id?: unknown }
        const userId = principal.user.id
        const plan = typeof raw?.plan_id === 'string' ? await store.getPlan(userId, raw.plan_id) : null
        // An unknown plan answers 404 before the rest of the body is judged (api.md §0 order).
        if (typeof raw?.plan_id === 'string' && !plan) throw notFound('plan')
        const body = validate(NewDeploymentBody, raw)
        const mode = body.mode ?? 'simulated'
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
        reports.changed(await store.insertDeployment(deployment))
        if (start) replay.track({ ...deployment, replayCursor: 0 }, plan!.planData)
        // The answer keeps the compat shape of a created deployment.
        return json({ id: deployment.id, status: 'pending' }, 201)
      },
      { auth: 'any' },
    )
    .get(
      '/',
      async ({ principal }) => json({ deployments: (await store.listDeployments(principal.user.id, DEPLOYMENT_LIST_LIMIT)).map(deploymentDto) }),
      { auth: 'any' },
    )
    .get(
      '/:id',
      async ({ params, principal }) => {
        const deployment = await store.getDeployment(principal.user.id, params.id)
        if (!deployment) throw notFound('deployment')
        return json(deploymentDto(deployment))
      },
      { auth: 'any' },
    )
    .post(
      '/:id/cancel',
      async ({ params, principal }) => {
        const change = await store.cancelDeployment(principal.user.id, params.id, clock())
        replay.forget(change.deployment.id)
        reports.changed(change)
        return json({ id: change.deployment.id, status: change.deployment.status })
      },
      { auth: 'any' },
    )
