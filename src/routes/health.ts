// GET /healthz: 200 when the database answers (docs/api.md §6), with the server's version and the database
// schema it knows (docs/operations.md "Version and schema"). No credentials. The body is built once: the
// probe stays one `SELECT 1`.
import { Elysia } from 'elysia'
import pkg from '../../package.json'
import { AppError } from '../domain/errors'
import { json } from '../http/json'
import { documented } from '../http/route-doc'
import { Health } from '../http/schemas'
import type { RouteDeps } from './deps'

/** The body of GET /healthz for a store of this schema. */
export const healthOf = (schema: string) => ({ ok: true, version: pkg.version, schema }) as const

export const healthRoutes = ({ store }: RouteDeps) => {
  const body = healthOf(store.schema.version)
  return new Elysia({ name: 'routes/health' }).get('/healthz', async () => {
    try {
      await store.ping()
    } catch {
      throw new AppError('UNAVAILABLE', 'database does not answer')
    }
    return json(body)
  }, documented({ tag: 'operations', summary: 'Health', description: 'No credentials. 503 when the database does not answer.', response: { 200: Health } }))
}
