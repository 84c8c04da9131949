// GET /healthz: 200 when the database answers (api.md §6). No credentials.
import { Elysia } from 'elysia'
import { AppError } from '../domain/errors'
import { json } from '../http/json'
import type { RouteDeps } from './deps'

export const healthRoutes = ({ store }: RouteDeps) =>
  new Elysia({ name: 'routes/health' }).get('/healthz', async () => {
    try {
      await store.ping()
    } catch {
      throw new AppError('UNAVAILABLE', 'database does not answer')
    }
    return json({ ok: true })
  })
