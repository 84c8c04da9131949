// The console's only way to data: it calls the JSON API in process, with the browser's own session
// cookie, so every page is subject to exactly the API's authorization and tenancy (docs/console.md).
// No page reads the store.
import { nextTurn } from '../turn'

export type ApiReply<T = any> = {
  status: number
  ok: boolean
  /** The parsed JSON body; for an error, `{error, code}` (docs/api.md §0). */
  body: T
  /** Set-Cookie headers the API answered with (a renewed session, a login, a logout). */
  setCookies: string[]
  /** The API's Retry-After, on a 429. */
  retryAfter: string | null
}

export type ConsoleApi = {
  /** Calls `method path` as the browser that sent `from` (its cookie), with an optional JSON body. */
  call<T = any>(from: Request, method: string, path: string, body?: unknown): Promise<ApiReply<T>>
}

/**
 * `handle` is the app's own request handler. `relayed` remembers which browser request each internal
 * one was made for, so the API finds that browser's address (login throttling counts per address).
 */
export function createConsoleApi(handle: (request: Request) => Promise<Response>, relayed: WeakMap<Request, Request>): ConsoleApi {
  return {
    async call(from, method, path, body) {
      const headers: Record<string, string> = {}
      const cookie = from.headers.get('cookie')
      if (cookie !== null) headers.cookie = cookie
      if (body !== undefined) headers['content-type'] = 'application/json'
      const internal = new Request(new URL(path, from.url), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      relayed.set(internal, from)
      // The API answers from SQLite synchronously: without a turn of the event loop before each call, a
      // page that makes several (the timeline reads up to ten pages) would hold every other request —
      // agents' reports among them — until it is done (docs/console.md "How it is built").
      await nextTurn()
      const response = await handle(internal)
      const text = response.status === 204 ? '' : await response.text()
      return {
        status: response.status,
        ok: response.ok,
        body: text === '' ? null : JSON.parse(text),
        setCookies: response.headers.getSetCookie(),
        retryAfter: response.headers.get('retry-after'),
      }
    },
  }
}
