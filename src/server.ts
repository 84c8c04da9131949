// Serves an app on a real socket: collapses repeated slashes (agents given `--api-url http://host/`
// request `//api/...`) and remembers each request's client address for login throttling.
import { clientAddresses, type App } from './app'
import { MiB } from './http/json'

/** Bun's own cap sits above our largest limit (the 16 MiB batch), so our JSON 413 answers first. */
const SOCKET_BODY_LIMIT = 64 * MiB

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
  return Bun.serve({
    hostname,
    port,
    maxRequestBodySize: SOCKET_BODY_LIMIT,
    fetch(request, server) {
      const normalised = normaliseRequest(request)
      const address = server.requestIP(request)
      if (address) clientAddresses.set(normalised, address.address)
      return app.handle(normalised)
    },
  })
}
