// GET /openapi.json and GET /docs (docs/api.md §0 "Reference"): the OpenAPI 3.1 document written from the
// app's routes (src/http/openapi.ts) and the same as one offline HTML page (src/http/reference-page.tsx). No
// credentials: they describe the API, not anyone's data. Both are made once, on first request, from the
// routes as the app finally holds them.
import { Elysia, t } from 'elysia'
import { rawJson } from '../http/json'
import { openApiDocument, type RouteEntry } from '../http/openapi'
import { REFERENCE_HEADERS, referencePage } from '../http/reference-page'
import { documented } from '../http/route-doc'
import { Text } from '../http/schemas'

export const referenceRoutes = (routes: () => readonly RouteEntry[]) => {
  let document: object | null = null
  let text: string | null = null
  let page: string | null = null
  const made = () => (document ??= openApiDocument(routes()))
  return new Elysia({ name: 'routes/reference' })
    .get(
      '/openapi.json',
      () => rawJson((text ??= JSON.stringify(made()))),
      documented({ tag: 'operations', summary: 'This API as an OpenAPI 3.1 document', response: { 200: t.Unknown({ description: 'an OpenAPI 3.1 document' }) } }),
    )
    .get(
      '/docs',
      () => new Response((page ??= referencePage(made())), { headers: REFERENCE_HEADERS }),
      documented({ tag: 'operations', summary: 'This API as a page to read', media: { 200: 'text/html' }, response: { 200: Text } }),
    )
}
