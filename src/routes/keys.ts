// API keys (docs/api.md §1): created, listed and revoked through a session; the key is shown once.
import { Elysia, t } from 'elysia'
import { KEY_ENVIRONMENTS, KEY_SCOPES } from '../domain/accounts'
import { notFound } from '../domain/errors'
import { apiKeyDto } from '../http/dto'
import { json, parseJson, readBody } from '../http/json'
import { listPage, queryOf } from '../http/paging'
import { validate } from '../http/validate'
import { actorOf, type RouteDeps } from './deps'
import { documented, listQuery } from '../http/route-doc'
import { ApiKeyPage, NewApiKey, RevokedApiKey } from '../http/schemas'

const CreateKeyBody = t.Object({
  name: t.String({ minLength: 1, maxLength: 100 }),
  environment: t.Optional(t.UnionEnum(KEY_ENVIRONMENTS, { error: 'must be "live" or "test"' })),
  scope: t.Optional(t.UnionEnum(KEY_SCOPES, { error: 'must be "full", "agent" or "read"' })),
})

export const keyRoutes = (deps: RouteDeps) => {
  const { store, auth, guard } = deps
  return (
  new Elysia({ name: 'routes/keys', prefix: '/api/keys' })
    .use(guard)
    .post(
      '/',
      async ({ request, principal }) => {
        const body = validate(CreateKeyBody, parseJson(await readBody(request)))
        const { apiKey, key } = await auth.createKey(principal.user.id, body.name, body.environment ?? 'live', body.scope ?? 'full', actorOf(deps, request, principal.user))
        const { id, name, prefix, environment, scope, created_at } = apiKeyDto(apiKey)
        return json({ id, name, key, prefix, environment, scope, created_at }, 201)
      },
      {
        auth: 'session',
        ...documented({ tag: 'keys', summary: 'Create an API key', description: 'The key itself is in this answer only; `environment` is `live` and `scope` `full` unless given. A key of scope `agent` may only use the agent protocol and report events; `read` may only read (docs/api.md §1 "Key scopes").', auth: 'session', body: CreateKeyBody, changes: true, response: { 201: NewApiKey } }),
      },
    )
    .get(
      '/',
      async ({ request, principal }) => {
        const userId = principal.user.id
        const { items, next } = await listPage(queryOf(request), ['keys', userId], (page) => store.listApiKeys(userId, page))
        return json({ keys: items.map(apiKeyDto), ...next })
      },
      { auth: 'session', ...documented({ tag: 'keys', summary: 'List my API keys, newest first', auth: 'session', query: t.Object(listQuery), response: { 200: ApiKeyPage } }) },
    )
    .delete(
      '/:id',
      async ({ params, principal, request }) => {
        const key = await auth.revokeKey(principal.user.id, params.id, actorOf(deps, request, principal.user))
        if (!key) throw notFound('API key')
        return json({ id: key.id, revoked_at: apiKeyDto(key).revoked_at })
      },
      {
        auth: 'session',
        ...documented({ tag: 'keys', summary: 'Revoke an API key', description: 'At once, for every request and open stream that uses it; revoking again answers the same.', auth: 'session', changes: true, errors: [404], response: { 200: RevokedApiKey } }),
      },
    )
  )
}
