// Missions (docs/api.md §5): a name and a description that group plans and deployments.
import { Elysia, t } from 'elysia'
import { notFound } from '../domain/errors'
import { newId } from '../domain/ids'
import { missionDto } from '../http/dto'
import { json, parseJson, readBody } from '../http/json'
import { listPage, queryOf } from '../http/paging'
import { validate } from '../http/validate'
import type { RouteDeps } from './deps'
import { documented, listQuery } from '../http/route-doc'
import { Mission, MissionPage } from '../http/schemas'

const NewMissionBody = t.Object({
  name: t.String({ minLength: 1, maxLength: 200 }),
  description: t.Optional(t.Union([t.String({ maxLength: 4000 }), t.Null()])),
})

export const missionRoutes = ({ store, guard, clock }: RouteDeps) =>
  new Elysia({ name: 'routes/missions', prefix: '/api/missions' })
    .use(guard)
    .post(
      '/',
      async ({ request, principal }) => {
        const body = validate(NewMissionBody, parseJson(await readBody(request)))
        const mission = { id: newId('mission'), userId: principal.user.id, name: body.name, description: body.description ?? null, createdAt: clock() }
        await store.insertMission(mission)
        return json(missionDto(mission), 201)
      },
      { auth: 'any', ...documented({ tag: 'missions', summary: 'Create a mission', auth: 'any', body: NewMissionBody, changes: true, response: { 201: Mission } }) },
    )
    .get(
      '/',
      async ({ request, principal }) => {
        const userId = principal.user.id
        const { items, next } = await listPage(queryOf(request), ['missions', userId], (page) => store.listMissions(userId, page))
        return json({ missions: items.map(missionDto), ...next })
      },
      { auth: 'any', ...documented({ tag: 'missions', summary: 'List missions, newest first', auth: 'any', query: t.Object(listQuery), response: { 200: MissionPage } }) },
    )
    .get(
      '/:id',
      async ({ params, principal }) => {
        const mission = await store.getMission(principal.user.id, params.id)
        if (!mission) throw notFound('mission')
        return json(missionDto(mission))
      },
      { auth: 'any', ...documented({ tag: 'missions', summary: 'One mission', auth: 'any', errors: [404], response: { 200: Mission } }) },
    )
