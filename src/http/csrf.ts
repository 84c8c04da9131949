// Cross-site request forgery (docs/api.md §0 "CSRF", docs/console.md "Security"). Two layers:
// - crossSite(): a state-changing request whose Origin names another origin, or that a browser marks
//   Sec-Fetch-Site: cross-site, is refused — for the JSON API and for the console's forms alike.
// - formToken(): every console form holds a token derived from the session cookie. The cookie is
//   HttpOnly and SameSite=Lax, so a page on another site can neither read it nor compute the token.
import { timingSafeEqual } from 'node:crypto'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * True when a browser tells us the request comes from another site. Compares Origin with the Host
 * the request was sent to (the scheme is not compared: behind a TLS-terminating proxy the server sees
 * http while the page is https). A request without Origin or Sec-Fetch-Site (curl, agents) passes.
 */
export function crossSite(request: Request): boolean {
  if (SAFE_METHODS.has(request.method)) return false
  const fetchSite = request.headers.get('sec-fetch-site')
  if (fetchSite !== null && fetchSite.toLowerCase() === 'cross-site') return true
  const origin = request.headers.get('origin')
  if (origin === null) return false
  // "null" is what a sandboxed frame or a privacy-sensitive redirect sends: not our origin.
  if (origin === 'null') return true
  const host = request.headers.get('host') ?? hostOf(request.url)
  return hostOf(origin) !== host?.toLowerCase()
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host.toLowerCase()
  } catch {
    return null
  }
}

const encoder = new TextEncoder()

/** The form token of a session: SHA-256 of a label and the session cookie's value, base64url. */
export function formToken(sessionToken: string): string {
  const hasher = new Bun.CryptoHasher('sha256')
  hasher.update(encoder.encode('ground-console form token\0'))
  hasher.update(encoder.encode(sessionToken))
  return hasher.digest('base64url')
}

/** Constant-time check of a submitted token against the session's. */
export function formTokenMatches(sessionToken: string, submitted: string | null): boolean {
  if (submitted === null) return false
  const expected = Buffer.from(formToken(sessionToken))
  const given = Buffer.from(submitted)
  return expected.length === given.length && timingSafeEqual(expected, given)
}
