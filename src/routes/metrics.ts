// GET /metrics (docs/operations.md "Metrics"): Prometheus text, behind `Authorization: Bearer <token>`
// (`--metrics-token`). Mounted only when a token is set: otherwise the path is unknown, a 404 like any.
import { createHash, timingSafeEqual } from 'node:crypto'
import { Elysia } from 'elysia'
import { documented } from '../http/route-doc'
import { Text } from '../http/schemas'
import { json } from '../http/json'
import type { Metrics } from '../metrics'

const digest = (text: string) => createHash('sha256').update(text).digest()

export const metricsRoutes = (metrics: Metrics, token: string) => {
  // Compared as digests of equal length in constant time: neither the token's length nor its first
  // differing byte shows in the time a refusal takes.
  const expected = digest(token)
  const refused = () =>
    json({ error: 'GET /metrics takes the metrics token: Authorization: Bearer <token>', code: 'UNAUTHORIZED' }, 401, { 'www-authenticate': 'Bearer realm="metrics"' })
  return new Elysia({ name: 'routes/metrics' }).get('/metrics', async ({ request }) => {
    const authorization = request.headers.get('authorization')
    if (authorization === null || !/^bearer /i.test(authorization)) return refused()
    if (!timingSafeEqual(digest(authorization.slice(7).trim()), expected)) return refused()
    return new Response(await metrics.render(), { headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' } })
  }, documented({
    tag: 'operations',
    summary: 'Metrics in Prometheus text format',
    description: 'Served only with `--metrics-token`, behind `Authorization: Bearer <token>` (docs/operations.md "Metrics").',
    headers: { Authorization: { description: 'Bearer <the metrics token>', required: true } },
    media: { 200: 'text/plain' },
    errors: [401],
    response: { 200: Text },
  }))
}
