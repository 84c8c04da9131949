// Serves an app on a real socket: collapses repeated slashes (agents given `--api-url http://host/`
// request `//api/...`) and tells the app where requests come from, for login throttling. With TLS it can
// take a renewed certificate without dropping a connection (`reload`, docs/operations.md "TLS").
import type { Server } from 'bun'
import type { App } from './app'
import type { TlsPem } from './tls'

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

export type Served = {
  readonly port: number
  readonly protocol: 'http' | 'https'
  /** How many listeners still hold connections (the current one, and any replaced one with streams open). */
  readonly listeners: number
  /**
   * TLS only: a new listener with this certificate on the same port (SO_REUSEPORT), then the old one stops
   * accepting and finishes what it has — its open streams go on as they were, on the old certificate.
   * Bun cannot change a running server's certificate (`server.reload` ignores `tls`).
   */
  reload(tls: TlsPem): void
  /** Stops accepting; resolves when the requests in flight are answered (`force`: closes every connection now). */
  stop(force?: boolean): Promise<void>
}

export function serve(app: App, { hostname, port, tls }: { hostname: string; port: number; tls?: TlsPem | null }): Served {
  // A rewritten request is a new object: remember the socket's own, to ask for its address later.
  const originals = new WeakMap<Request, Request>()
  // With TLS a request may belong to a listener that was replaced: remembered per request only then.
  const owners = tls ? new WeakMap<Request, Server<undefined>>() : null
  const live = new Set<Server<undefined>>()
  const listen = (pem: TlsPem | null | undefined, onPort: number) =>
    Bun.serve({
      hostname,
      port: onPort,
      // A renewed certificate needs a second listener on the same port (`reload`); plain HTTP never does,
      // and keeps the default (a second process on its port fails to start instead of sharing it).
      reusePort: Boolean(pem),
      ...(pem ? { tls: { cert: pem.cert, key: pem.key } } : {}),
      // Production behaviour whatever NODE_ENV says: no development error pages or extra checks.
      development: false,
      maxRequestBodySize: SOCKET_BODY_LIMIT,
      fetch(request, server) {
        owners?.set(request, server)
        const normalised = normaliseRequest(request)
        if (normalised !== request) originals.set(normalised, request)
        return app.serveRequest(normalised)
      },
    })
  let current = listen(tls, port)
  live.add(current)
  const socketRequest = (request: Request) => originals.get(request) ?? request
  const serverOf = (request: Request) => owners?.get(request) ?? current
  app.locatePeersWith((request) => {
    const original = socketRequest(request)
    return serverOf(original).requestIP(original)?.address ?? 'unknown'
  })
  app.controlSocketsWith({
    keepOpen: (request) => {
      const original = socketRequest(request)
      serverOf(original).timeout(original, 0)
    },
    // An idle timeout of a second: a socket whose client stopped reading is idle, and is closed (Bun
    // checks timeouts every few seconds, so within about ten: docs/streams.md).
    cutOff: (request) => {
      const original = socketRequest(request)
      serverOf(original).timeout(original, 1)
    },
  })
  return {
    get port() {
      return current.port!
    },
    protocol: tls ? 'https' : 'http',
    get listeners() {
      return live.size
    },
    reload(pem) {
      if (!tls) throw new Error('only a server started with TLS takes a new certificate')
      const next = listen(pem, current.port!)
      const old = current
      current = next
      live.add(next)
      void old.stop(false).finally(() => live.delete(old))
    },
    async stop(force = false) {
      await Promise.all([...live].map((server) => server.stop(force)))
    },
  }
}
