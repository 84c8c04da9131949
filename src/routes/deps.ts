// What every route plugin receives from createApp: the services, the clock and the auth guard.
import type { AuthService } from '../auth/service'
import type { Clock } from '../domain/time'
import type { authPlugin } from '../http/auth'
import type { Logger } from '../log'
import type { Observer } from '../http/observe'
import type { AgentService } from '../services/agents'
import type { Reports } from '../services/reports'
import type { Bus } from '../services/bus'
import type { Streams } from '../http/streams'
import type { RateLimits } from '../services/rate-limits'
import type { Quotas } from '../services/quotas'
import type { ReplayScheduler } from '../services/replay'
import type { Store, User } from '../store/types'
import type { AuditActor } from '../domain/audit'

export type RouteDeps = {
  store: Store
  auth: AuthService
  agents: AgentService
  reports: Reports
  bus: Bus
  streams: Streams
  /** The sockets behind requests, when served on a port (src/server.ts); no-ops in process. */
  sockets: SocketControl
  replay: ReplayScheduler
  rateLimits: RateLimits
  /** Per-user quotas on reports (docs/operations.md "Quotas"), off unless set. */
  quotas: Quotas
  clock: Clock
  log: Logger
  guard: ReturnType<typeof authPlugin>
  secureCookies: boolean
  /** The client's address for a request (docs/auth.md), for throttling; "unknown" when not served over a socket. */
  clientAddress: (request: Request) => string
  /** Request ids, log lines and request metrics (src/http/observe.ts). */
  observer: Observer
}

/** What a route may do to the socket behind its request. */
export type SocketControl = {
  /** No idle timeout for this request's socket (a stream). */
  keepOpen(request: Request): void
  /** Closes this request's socket within seconds, even if its client has stopped reading. */
  cutOff(request: Request): void
}

/** Who acts in this request, for its audit records (docs/api.md §1 "Audit"): the user, now, from the client's address. */
export const actorOf = ({ clock, clientAddress }: Pick<RouteDeps, 'clock' | 'clientAddress'>, request: Request, user: User): AuditActor => ({
  at: clock(),
  actorId: user.id,
  actorEmail: user.email,
  address: clientAddress(request),
})
