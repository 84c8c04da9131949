// Serves an app on a real socket: collapses repeated slashes (agents given `--api-url http://host/`
// request `//api/...`) and tells the app where requests come from, for login throttling.
import type { App } from './app'

/**
 * Bun's own cap, which would answer a bare 413: set far above any limit of ours so that our JSON 413
 * always answers first. Bodies are streamed, and we never read past our own limits.
 */
const SOCKET_BODY_LIMIT = Number.MAX_SAFE_INTEGER

export function normaliseRequest(request: Request): Request {
  const url = request.url
  const pathStart = url.indexOf('/', url.indexOf('//') + 2)
  if (pathStart < 0 || !url.includes('//', pathStart)) return request
  const queryStart = url.indexOf('?', pathStart)
  const end = queryStart < 0 ? url.length : queryStart
  const path = url.slice(pathStart, end).replace(/\/{2,}/g, '/')
  return new Request(url.slice(0, pathStart) + path + url.slice(end), request)
}

export function serve(app: App, { hostname, port }: { hostname: string; port: number }) {
  // A rewritten request is a new object: remember the socket's own, to ask for its address later.
  const originals = new WeakMap<Request, Request>()
  const server = Bun.serve({
    hostname,
    port,
    // Production behaviour whatever NODE_ENV says: no development error pages or extra checks.
    development: false,
    maxRequestBodySize: SOCKET_BODY_LIMIT,
    fetch(request) {
      const normalised = normaliseRequest(request)
      if (normalised !== request) originals.set(normalised, request)
      return app.serveRequest(normalised)
    },
  })
  const socketRequest = (request: Request) => originals.get(request) ?? request
  app.locatePeersWith((request) => server.requestIP(socketRequest(request))?.address ?? 'unknown')
  app.controlSocketsWith({
    keepOpen: (request) => server.timeout(socketRequest(request), 0),
    // An idle timeout of a second: a socket whose client stopped reading is idle, and is closed (Bun
    // checks timeouts every few seconds, so within about ten: docs/streams.md).
    cutOff: (request) => server.timeout(socketRequest(request), 1),
  })
  return server
}
