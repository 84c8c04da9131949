// Checks every request before routing (docs/api.md §0 "Input limits"; docs/http.md): the size of the request
// line plus headers, and the query string — its length, its encoding, and no parameter given twice.
import { Elysia } from 'elysia'
import { AppError, invalid } from '../domain/errors'
import { errorResponse } from './errors'
import { json } from './json'

/** Over this, a request line plus headers is a JSON 431 (docs/api.md §0). */
export const HEAD_LIMIT = 64 * 1024
/**
 * What Bun's own parser must accept for that 431 to be ours (docs/api.md §0: "up to at least 256 KiB"). Bun
 * answers a bare 431 past `--max-http-header-size`, which npm start and the binary set above this.
 */
export const SOCKET_HEAD_MINIMUM = 256 * 1024
/** Over this, the query string (after `?`, still percent-encoded) is a 400. */
export const QUERY_LIMIT = 8 * 1024

/**
 * The bytes of `METHOD SP target SP HTTP/1.1 CRLF`, each `name: value CRLF` and the blank line, as far as
 * the request shows them (Bun joins repeated headers, so this may count a few bytes short).
 */
export function headBytes(request: Request): number {
  const url = request.url
  const pathStart = url.indexOf('/', url.indexOf('//') + 2)
  let size = request.method.length + 1 + (pathStart < 0 ? 1 : url.length - pathStart) + ' HTTP/1.1\r\n'.length
  request.headers.forEach((value, name) => {
    size += name.length + value.length + 4
  })
  return size + 2
}

/** The first problem with a URL's query string, or null. Names compare after decoding, as routes see them. */
export function checkQuery(url: string): AppError | null {
  const start = url.indexOf('?')
  if (start < 0) return null
  const hash = url.indexOf('#', start)
  const query = url.slice(start + 1, hash < 0 ? url.length : hash)
  if (query.length > QUERY_LIMIT) return new AppError('BAD_REQUEST', `the query string is longer than ${QUERY_LIMIT} bytes`)
  const seen = new Set<string>()
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const rawName = eq < 0 ? part : part.slice(0, eq)
    const name = decode(rawName)
    if (name === null || name.includes('\0')) return invalid(shown(rawName), 'is not a valid parameter name (bad percent-encoding, invalid UTF-8 or U+0000)')
    const value = eq < 0 ? '' : decode(part.slice(eq + 1))
    if (value === null) return invalid(shown(name), 'must be valid percent-encoded UTF-8')
    if (value.includes('\0')) return invalid(shown(name), 'must not contain U+0000')
    // A repeated parameter would leave routes to pick one silently: refuse it (docs/api.md §0).
    if (seen.has(name)) return invalid(shown(name), 'is given more than once (several values go in one comma list)')
    seen.add(name)
  }
  return null
}

/**
 * Form-style decoding (`+` is a space), as Elysia reads queries and browsers send forms; null for bad
 * escapes or invalid UTF-8 (also the console's form reader: src/console/index.tsx).
 */
export function decode(text: string): string | null {
  if (!text.includes('%')) return text.includes('+') ? text.replaceAll('+', ' ') : text
  try {
    // decodeURIComponent refuses what is not UTF-8: stray bytes, truncated sequences, encoded surrogates.
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    return null
  }
}

const shown = (name: string) => (name.length > 64 ? `${name.slice(0, 64)}…` : name)

/**
 * `pageFor` may answer a refused request with a page instead of the JSON error (the console's, for its
 * own pages: src/console/index.tsx); null keeps the JSON error.
 */
export const requestGuard = (pageFor: (request: Request, status: number, message: string) => Response | null = () => null) =>
  new Elysia({ name: 'request-guard' }).onRequest(({ request }) => {
    // 431 has no code of its own in the closed list; docs/api.md §0 gives it BAD_REQUEST.
    if (headBytes(request) > HEAD_LIMIT) {
      const message = `the request line and headers are larger than ${HEAD_LIMIT / 1024} KiB`
      return pageFor(request, 431, message) ?? json({ error: message, code: 'BAD_REQUEST' }, 431)
    }
    const problem = checkQuery(request.url)
    if (problem) return pageFor(request, 400, problem.message) ?? errorResponse(problem)
    // No stored id or name holds U+0000 (refused on the way in: src/domain/text.ts), and PostgreSQL cannot
    // even compare a text that does: a path naming one names nothing, on either backend.
    const path = pathOf(request.url)
    if (NUL_IN_PATH.test(path)) {
      // Named as the route would name it ("deployment not found"), from the collection in the path.
      const noun = RESOURCES[/^\/api\/([a-z]+)\//.exec(path)?.[1] ?? '']
      const message = noun ? `${noun} not found` : 'not found: no id or name holds U+0000'
      return pageFor(request, 404, message) ?? json({ error: message, code: 'NOT_FOUND' }, 404)
    }
  })

const NUL_IN_PATH = /%00/i
const RESOURCES: Record<string, string> = { deployments: 'deployment', missions: 'mission', plans: 'plan', keys: 'API key', agents: 'agent', webhooks: 'webhook', users: 'user' }
/** The path of a request URL, without its query string. */
const pathOf = (url: string) => {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  const query = url.indexOf('?', start)
  return query === -1 ? url.slice(start) : url.slice(start, query)
}
