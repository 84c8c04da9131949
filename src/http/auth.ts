// Route guards (docs/api.md §1 table): each route names the credential it takes, and the resolved principal
// lands in the handler's context. A credential of the wrong kind for a route counts as none: 401.
import { Elysia } from 'elysia'
import type { AuthService } from '../auth/service'
import { AppError } from '../domain/errors'
import { crossSite } from './csrf'
import { checkBodyHeaders } from './json'
import type { User } from '../store/types'
import type { KeyScope } from '../domain/accounts'

export type AuthKind = 'any' | 'agent' | 'session' | 'admin'
export type Principal = { user: User; via: 'session' | 'key'; sessionToken?: string; sessionId?: string; agentId?: string; /** A key's scope (docs/api.md §1 "Key scopes"). */ scope?: KeyScope }
export type AgentPrincipal = Principal & { agentId: string }

export const SESSION_COOKIE = 'session'
const AGENT_ID_PATTERN = /^[\x21-\x7e]{1,128}$/

const unauthorized = (message: string) => new AppError('UNAUTHORIZED', message)

const READ_METHODS = new Set(['GET', 'HEAD'])

/**
 * Why a key of this scope may not call a route of this kind with this method, or null when it may
 * (docs/api.md §1 "Key scopes"): `full` may do what its user may; `agent` only the agent routes (the agent
 * protocol and the reports: what a satellite needs); `read` only reads — GET and HEAD of the other routes,
 * not the agent protocol, whose poll hands out work and whose calls record the agent's presence.
 * Session-only routes take no key of any scope (401 before this is asked).
 */
export function scopeRefusal(scope: KeyScope, kind: AuthKind, method: string): string | null {
  if (scope === 'full') return null
  if (scope === 'agent')
    return kind === 'agent' ? null : 'this API key has scope "agent": it may only use the agent protocol (/api/agent/*) and report events'
  if (kind === 'agent') return 'this API key has scope "read": it may not use the agent protocol or report events'
  return READ_METHODS.has(method) ? null : 'this API key has scope "read": it may only read (GET)'
}

/** A key outside its scope: a 413/415 of the body it carries speaks first (docs/api.md §0 order). */
function refuseOutOfScope(request: Request, scope: KeyScope, kind: AuthKind) {
  const refusal = scopeRefusal(scope, kind, request.method)
  if (refusal === null) return
  checkBodyHeaders(request)
  throw new AppError('FORBIDDEN', refusal)
}
/** A session-authenticated change sent from another site (docs/console.md "CSRF"). */
export const crossSiteRefused = () =>
  new AppError('FORBIDDEN', 'this request was sent from another site (its Origin or Sec-Fetch-Site header): logins and session changes are accepted only from this server\'s own pages, or from clients that send no Origin')

export function apiKeyFrom(headers: Headers): string | null {
  const key = headers.get('x-api-key')
  if (key) return key.trim()
  const authorization = headers.get('authorization')
  if (authorization && /^bearer /i.test(authorization)) return authorization.slice(7).trim()
  return null
}

export function sessionTokenFrom(headers: Headers): string | null {
  const cookie = headers.get('cookie')
  if (!cookie) return null
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim())
      } catch {
        return null // not even percent-encoding: no token at all
      }
    }
  }
  return null
}

export function sessionCookie(token: string, expiresAtMicros: number | null, secure: boolean, now: number): string {
  const maxAge = expiresAtMicros === null ? 0 : Math.floor((expiresAtMicros - now) / 1_000_000)
  return `${SESSION_COOKIE}=${expiresAtMicros === null ? '' : token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${maxAge}${secure ? '; Secure' : ''}`
}

export type AuthPluginOptions = {
  auth: AuthService
  secureCookies: boolean
  clock: () => number
  /** Told of every authenticated agent request (presence: last_seen_at, first-contact records). */
  onAgent: (userId: string, agentId: string) => Promise<void>
  /** Told who a request turned out to be from (its log line, src/http/observe.ts). */
  onPrincipal?: (request: Request, principal: Principal) => void
}

export const authPlugin = ({ auth, secureCookies, clock, onAgent, onPrincipal = () => {} }: AuthPluginOptions) =>
  new Elysia({ name: 'auth' }).macro({
    auth: (kind: AuthKind) => ({
      async resolve({ request, set }): Promise<{ principal: Principal }> {
        const headers = request.headers
        const key = apiKeyFrom(headers)

        if (kind === 'agent') {
          if (!key) throw unauthorized('an API key is required (X-API-Key or Authorization: Bearer)')
          const found = await auth.authenticateKey(key)
          if (!found) throw unauthorized('invalid or revoked API key')
          const agentId = headers.get('x-agent-id')
          if (agentId === null) throw new AppError('BAD_REQUEST', 'X-Agent-ID header is required')
          if (!AGENT_ID_PATTERN.test(agentId))
            throw new AppError('BAD_REQUEST', 'X-Agent-ID must be 1 to 128 visible ASCII characters')
          // `.` and `..` are path segments to every URL parser (even as %2e): /api/agents/.. could never name them.
          if (agentId === '.' || agentId === '..') throw new AppError('BAD_REQUEST', 'X-Agent-ID must not be "." or ".."')
          refuseOutOfScope(request, found.key.scope, kind)
          await onAgent(found.user.id, agentId)
          const principal: Principal = { user: found.user, via: 'key', agentId }
          onPrincipal(request, principal)
          return { principal }
        }

        if (kind === 'any' && key) {
          const found = await auth.authenticateKey(key)
          if (!found) throw unauthorized('invalid or revoked API key')
          const principal: Principal = { user: found.user, via: 'key', scope: found.key.scope }
          onPrincipal(request, principal)
          refuseOutOfScope(request, found.key.scope, kind)
          return { principal }
        }

        const token = sessionTokenFrom(headers)
        const session = token ? await auth.authenticateSession(token) : null
        if (!token || !session)
          throw unauthorized(kind === 'any' ? 'log in or send an API key' : 'log in first: this route takes a session, not an API key')
        const principal: Principal = { user: session.user, via: 'session', sessionToken: token, sessionId: session.sessionId }
        // Before the refusals below: a 403's line names who was refused.
        onPrincipal(request, principal)
        if (crossSite(request)) {
          checkBodyHeaders(request) // a 413/415 outranks the 403 (docs/api.md §0 order)
          throw crossSiteRefused()
        }
        if (kind === 'admin' && session.user.role !== 'admin') {
          checkBodyHeaders(request) // a 413/415 outranks the 403 (docs/api.md §0 order)
          throw new AppError('FORBIDDEN', new URL(request.url).pathname.startsWith('/api/users') ? 'only an admin may manage users' : 'only an admin may do this')
        }
        if (session.renewedUntil !== null) set.headers['set-cookie'] = sessionCookie(token, session.renewedUntil, secureCookies, clock())
        return { principal }
      },
    }),
  })

