// What every route plugin receives from createApp: the services, the clock and the auth guard.
import type { AuthService } from '../auth/service'
import type { Clock } from '../domain/time'
import type { authPlugin } from '../http/auth'
import type { Logger } from '../log'
import type { AgentService } from '../services/agents'
import type { Reports } from '../services/reports'
import type { Bus } from '../services/bus'
import type { RateLimits } from '../services/rate-limits'
import type { ReplayScheduler } from '../services/replay'
import type { Store } from '../store/types'

export type RouteDeps = {
  store: Store
  auth: AuthService
  agents: AgentService
  reports: Reports
  bus: Bus
  replay: ReplayScheduler
  rateLimits: RateLimits
  clock: Clock
  log: Logger
  guard: ReturnType<typeof authPlugin>
  secureCookies: boolean
  /** The client's address for a request (docs/auth.md), for throttling; "unknown" when not served over a socket. */
  clientAddress: (request: Request) => string
}
