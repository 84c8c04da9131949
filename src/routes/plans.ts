// Plans (docs/api.md §5): a mission's planner output for one satellite, from which deployments are made.
import { isCleanText } from '../domain/text'
import { Elysia, t } from 'elysia'
import { notFound } from '../domain/errors'
import { newId } from '../domain/ids'
import { parsePlanData } from '../domain/plan'
import { planDto, planWithDataJson } from '../http/dto'
import { json, parseJson, rawJson, readBody } from '../http/json'
import { archivedParam, listPage, queryOf, queryParam } from '../http/paging'
import { validate } from '../http/validate'
import type { RouteDeps } from './deps'
import { archivedQuery, documented, listQuery } from '../http/route-doc'
import { Plan, PlanPage, PlanWithData } from '../http/schemas'

const NewPlanBody = t.Object({
  mission_id: t.String({ minLength: 1, maxLength: 64 }),
  label: t.String({ minLength: 1, maxLength: 200 }),
  satellite_id: t.String({ minLength: 1, maxLength: 64 }),
  satellite_name: t.Optional(t.Union([t.String({ maxLength: 200 }), t.Null()])),
  preset: t.Optional(t.Union([t.String({ maxLength: 200 }), t.Null()])),
  plan_data: t.Unknown(),
})

export const planRoutes = ({ store, guard, clock }: RouteDeps) => {
  return new Elysia({ name: 'routes/plans', prefix: '/api/plans' })
    .use(guard)
    .post(
      '/',
      async ({ request, principal }) => {
        const raw = parseJson(await readBody(request), { exact: true }) as { mission_id?: unknown }
        // An unknown mission answers 404 before the rest of the body is judged (docs/api.md §0 order).
        // An id no row can have (U+0000, a lone surrogate: src/domain/text.ts) is not looked up: not found.
        if (typeof raw?.mission_id === 'string' && !(isCleanText(raw.mission_id) && (await store.getMission(principal.user.id, raw.mission_id)))) throw notFound('mission')
        const body = validate(NewPlanBody, raw)
        const events = parsePlanData(body.plan_data)
        const plan = {
          id: newId('plan'),
          userId: principal.user.id,
          missionId: body.mission_id,
          label: body.label,
          satelliteId: body.satellite_id,
          satelliteName: body.satellite_name ?? null,
          preset: body.preset ?? null,
          planData: JSON.stringify(body.plan_data),
          eventCount: events.length,
          createdAt: clock(),
          archivedAt: null,
        }
        await store.insertPlan(plan)
        return json(planDto(plan), 201)
      },
      {
        auth: 'any',
        ...documented({
          tag: 'missions',
          summary: 'Add a plan to a mission',
          description: '`plan_data` is the planner output: `{"events": [{"type", "timestamp_s", "step_id"?, …}]}` or a bare array of those (docs/api.md §5).',
          auth: 'any',
          body: NewPlanBody,
          changes: true,
          errors: [404],
          response: { 201: Plan },
        }),
      },
    )
    .get(
      '/',
      async ({ request, principal }) => {
        const userId = principal.user.id
        const query = queryOf(request)
        const missionId = queryParam(query, 'mission_id') || null
        const archived = archivedParam(query)
        const { items, next } = await listPage(query, ['plans', userId, missionId, archived], (page) => store.listPlans(userId, missionId, page, archived))
        return json({ plans: items.map(planDto), ...next })
      },
      {
        auth: 'any',
        ...documented({ tag: 'missions', summary: 'List plans, newest first', auth: 'any', query: t.Object({ mission_id: t.Optional(t.String({ description: 'only this mission’s plans' })), archived: archivedQuery, ...listQuery }), response: { 200: PlanPage } }),
      },
    )
    .get(
      '/:id',
      async ({ params, principal }) => {
        const plan = await store.getPlan(principal.user.id, params.id)
        if (!plan) throw notFound('plan')
        return rawJson(planWithDataJson(plan))
      },
      { auth: 'any', ...documented({ tag: 'missions', summary: 'One plan, with its data', auth: 'any', errors: [404], response: { 200: PlanWithData } }) },
    )
    .post('/:id/archive', ({ params, principal }) => setArchived(principal.user.id, params.id, true), {
      auth: 'any',
      ...documented({
        tag: 'missions',
        summary: 'Archive a plan',
        description: 'Hidden from the default plan list (see `archived`), still read by id; an archived plan makes no new deployment (409) until it is restored. Archiving again keeps the first `archived_at`.',
        auth: 'any',
        changes: true,
        errors: [404],
        response: { 200: Plan },
      }),
    })
    .post('/:id/unarchive', ({ params, principal }) => setArchived(principal.user.id, params.id, false), {
      auth: 'any',
      ...documented({ tag: 'missions', summary: 'Restore an archived plan', description: 'A plan that is not archived is answered as it is.', auth: 'any', changes: true, errors: [404], response: { 200: Plan } }),
    })
  async function setArchived(userId: string, id: string, archived: boolean) {
    const plan = await store.setPlanArchived(userId, id, archived, clock())
    if (!plan) throw notFound('plan')
    return json(planDto(plan))
  }
}
