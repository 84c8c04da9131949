// User management (docs/api.md §1): admins only. Every change is recorded in the audit log (docs/api.md §1 "Audit").
import { Elysia, t } from 'elysia'
import { ROLES } from '../domain/accounts'
import { notFound } from '../domain/errors'
import { userDto } from '../http/dto'
import { json, noContent, parseJson, readBody } from '../http/json'
import { listPage, queryOf } from '../http/paging'
import { validate } from '../http/validate'
import { actorOf, type RouteDeps } from './deps'
import { documented, listQuery } from '../http/route-doc'
import { Empty, User, UserPage } from '../http/schemas'

export const NewUserBody = t.Object({
  email: t.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 254, error: 'must be an email address' }),
  password: t.String({ minLength: 10, maxLength: 1024, secret: true, error: 'must be 10 to 1024 characters' }),
  name: t.Optional(t.Union([t.String({ maxLength: 200 }), t.Null()])),
  role: t.Optional(t.UnionEnum(ROLES, { error: 'must be "admin" or "operator"' })),
})

export const UserChangeBody = t.Object({
  role: t.Optional(t.UnionEnum(ROLES, { error: 'must be "admin" or "operator"' })),
  disabled: t.Optional(t.Boolean({ error: 'must be true or false' })),
})

export const ResetPasswordBody = t.Object({
  new_password: t.String({ minLength: 10, maxLength: 1024, secret: true, error: 'must be a string of 10 to 1024 characters' }),
})

/** User ids are server-made (`usr-…`); anything longer than this names no user. */
const USER_ID_MAX = 128

export const userRoutes = (deps: RouteDeps) => {
  const { store, auth, guard } = deps
  /** The user of the path, or 404: after the body's 413/415, before its 400 (docs/api.md §0 order). */
  const existing = async (id: string) => {
    const user = id.length <= USER_ID_MAX ? await store.getUserById(id) : null
    if (!user) throw notFound('user')
    return user
  }
  return new Elysia({ name: 'routes/users', prefix: '/api/users' })
    .use(guard)
    .post(
      '/',
      async ({ request, principal }) => {
        const body = validate(NewUserBody, parseJson(await readBody(request)))
        return json(userDto(await auth.createUser(body, actorOf(deps, request, principal.user))), 201)
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
    .patch(
      '/:id',
      async ({ request, params, principal }) => {
        const text = await readBody(request) // 413, 415 first; then 404; then the body's 400 (docs/api.md §0)
        await existing(params.id)
        const body = validate(UserChangeBody, parseJson(text))
        const user = await auth.updateUser(params.id, body, actorOf(deps, request, principal.user))
        return json(userDto(user))
      },
      {
        auth: 'admin',
        ...documented({
          tag: 'accounts',
          summary: 'Change a user’s role, disable or enable them',
          description:
            'Disabling ends every session of the user at once and makes their API keys answer 401 until they are enabled again; a disabled user cannot log in (the same 401 as a wrong password). Demoting or disabling the last active admin is a 409 (docs/api.md §1 "Disabling a user").',
          auth: 'admin',
          body: UserChangeBody,
          changes: true,
          errors: [404, 409],
          response: { 200: User },
        }),
      },
    )
    .post(
      '/:id/password',
      async ({ request, params, principal }) => {
        const text = await readBody(request)
        await existing(params.id)
        const body = validate(ResetPasswordBody, parseJson(text))
        if (!(await auth.resetPassword(params.id, body.new_password, actorOf(deps, request, principal.user)))) throw notFound('user')
        return noContent()
      },
      {
        auth: 'admin',
        ...documented({
          tag: 'accounts',
          summary: 'Reset a user’s password',
          description: 'Sets the new password and ends every session of that user (yours too, if it is your own account: use POST /api/auth/password to keep yours).',
          auth: 'admin',
          body: ResetPasswordBody,
          changes: true,
          errors: [404],
          response: { 204: Empty },
        }),
      },
    )
}
