// User management (docs/api.md §1): admins only.
import { Elysia, t } from 'elysia'
import { ROLES } from '../db/schema'
import { userDto } from '../http/dto'
import { json, parseJson, readBody } from '../http/json'
import { listPage, queryOf } from '../http/paging'
import { validate } from '../http/validate'
import type { RouteDeps } from './deps'
import { documented, listQuery } from '../http/route-doc'
import { User, UserPage } from '../http/schemas'

export const NewUserBody = t.Object({
  email: t.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 254, error: 'must be an email address' }),
  password: t.String({ minLength: 10, maxLength: 1024, secret: true, error: 'must be 10 to 1024 characters' }),
  name: t.Optional(t.Union([t.String({ maxLength: 200 }), t.Null()])),
  role: t.Optional(t.UnionEnum(ROLES, { error: 'must be "admin" or "operator"' })),
})

export const userRoutes = ({ store, auth, guard }: RouteDeps) =>
  new Elysia({ name: 'routes/users', prefix: '/api/users' })
    .use(guard)
    .post(
      '/',
      async ({ request }) => {
        const body = validate(NewUserBody, parseJson(await readBody(request)))
        return json(userDto(await auth.createUser(body)), 201)
      },
      {
        auth: 'admin',
        ...documented({ tag: 'accounts', summary: 'Create a user', description: 'Role `operator` unless given; an email already taken is a 409.', auth: 'admin', body: NewUserBody, changes: true, errors: [409], response: { 201: User } }),
      },
    )
    .get(
      '/',
      async ({ request, principal }) => {
        const { items, next } = await listPage(queryOf(request), ['users', principal.user.id], (page) => store.listUsers(page))
        return json({ users: items.map(userDto), ...next })
      },
      { auth: 'admin', ...documented({ tag: 'accounts', summary: 'List users, newest first', auth: 'admin', query: t.Object(listQuery), response: { 200: UserPage } }) },
    )
