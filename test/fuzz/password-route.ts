// POST /api/auth/password as the fuzz suite sees it (docs/api.md §1; docs/auth.md "Changing your password"):
// what a body may get given the user's password now and the failures counted in the throttling window,
// and after each reply what must hold of the user's sessions, stored hash and counts.
import { expect } from 'bun:test'
import type { Reply } from '../helpers'
import { str } from './json-text'
import { isObject, v400, type Alt } from './oracle'
import type { Ctx, RouteCase } from './routes'
import { sendBytes } from './wire'
import { clearThrottle, login, type PasswordUser } from './world'

const THROTTLED: Alt = { status: 429, code: 'RATE_LIMITED' }
/** docs/auth.md: 10 failures per (address, user), 100 per address, in 15 minutes. */
const PER_USER = 10
const PER_ADDRESS = 100
const WINDOW_SECONDS = 15 * 60

/**
 * The replies a parsed body may get. A wrong current password is 400 VALIDATION naming it: the session is
 * valid, a field is not (docs/api.md §0 statuses; docs/auth.md). Which of two bad fields is named, and whether
 * 429 outranks a 400 of the body, the contract leaves open; over a limit a valid body is 429.
 */
export function passwordAlts(v: unknown, pw: PasswordUser): Alt[] {
  const surely = pw.failures[0] >= PER_USER || pw.addressFailures[0] >= PER_ADDRESS
  const maybe = pw.failures[1] >= PER_USER || pw.addressFailures[1] >= PER_ADDRESS
  const hard: Alt[] = []
  const soft: Alt[] = maybe ? [THROTTLED] : []
  if (!isObject(v)) return [v400('body'), ...soft]
  const current = v.current_password
  const next = v.new_password
  if (typeof current !== 'string') hard.push(v400('current_password'))
  // The contract states no longest password, and a lone surrogate in one that is only compared may be refused.
  else if (current.length > 1024 || !current.isWellFormed()) soft.push(v400('current_password'))
  if (typeof next !== 'string' || !next.isWellFormed()) hard.push(v400('new_password'))
  else {
    const points = [...next].length
    if (next.length < 10) hard.push(v400('new_password'))
    // "≥ 10 chars" (docs/api.md §1) in UTF-16 units or in characters; docs/auth.md: at most 1024; U+0000 kept.
    else if (points < 10 || next.length > 1024 || next.includes('\u0000')) soft.push(v400('new_password'))
  }
  const wrong = typeof current === 'string' && current !== pw.password
  if (hard.length > 0) return [...hard, ...(wrong ? [v400('current_password')] : []), ...soft, ...(surely ? [THROTTLED] : [])]
  if (surely) return [THROTTLED, ...soft.filter((a) => a !== THROTTLED)]
  return [wrong ? v400('current_password') : { status: 204 }, ...soft]
}

const me = async (c: Ctx, cookie: string) => (await sendBytes(c.w.h.app, 'GET', '/api/auth/me', { headers: { cookie } })).status

function count(pw: PasswordUser, certainly: number, atMost: number) {
  pw.failures = [pw.failures[0] + certainly, pw.failures[1] + atMost]
  pw.addressFailures = [pw.addressFailures[0] + certainly, pw.addressFailures[1] + atMost]
}

/** After a reply: the sessions, the stored hash and the counts are as the contract says. */
async function afterReply(c: Ctx, sent: unknown, reply: Reply) {
  const pw = c.w.pw
  const body = isObject(sent) ? sent : null
  const current = body?.current_password
  expect(await me(c, pw.cookie), 'the session that asked stays valid').toBe(200)
  if (reply.status === 204) {
    const next = body!.new_password as string
    pw.password = next
    pw.failures = [0, 0]
    // docs/api.md §1: the caller's other sessions are ended.
    if (pw.other) expect(await me(c, pw.other), 'another session after a password change').toBe(401)
    const hash = (await c.w.h.store.getPasswordHash(pw.userId))!
    expect(await Bun.password.verify(next, hash), 'the new password is the one stored').toBe(true)
    return
  }
  if (pw.other) expect(await me(c, pw.other), 'a refused password change ended another session').toBe(200)
  if (reply.status === 429) {
    expect(Number(reply.headers.get('retry-after')), 'Retry-After within the window').toBeLessThanOrEqual(WINDOW_SECONDS)
    clearThrottle(c.w)
    return
  }
  if (reply.status !== 400 || body === null || typeof current !== 'string') return
  const plainWrong = current !== pw.password && current.isWellFormed() && current.length <= 1024
  const named = (reply.body as { error?: string }).error?.startsWith('current_password:') === true
  // A wrong current password is a failure; one the server refused as malformed may or may not count, and a
  // server may count a wrong one before it judges new_password.
  if (named) count(pw, plainWrong ? 1 : 0, 1)
  else if (current !== pw.password) count(pw, 0, 1)
  else pw.failures = [0, pw.failures[1]]
}

export const PASSWORD_ROUTE: RouteCase = {
  name: 'POST /api/auth/password',
  path: () => '/api/auth/password',
  headers: (c) => ({ cookie: c.w.pw.cookie }),
  template: (c) => [['current_password', str(c.w.pw.password)], ['new_password', str(`new password ${c.serial}`)]],
  fields: ['current_password', 'new_password'],
  // Passwords are secrets, not text (docs/limits.md): U+0000 is theirs to hold.
  textFields: [],
  rules: (v, c) => passwordAlts(v, c.w.pw),
  // The login fuzz counts failures against the same (in-process) address: start from an empty window.
  setup: (w) => clearThrottle(w),
  // A second session, to see the change end it; opened only when the change may succeed (a login costs a hash).
  before: async (c, alts) => {
    c.w.pw.other = alts.some((a) => a.status === 204) ? await login(c.w.h, c.w.pw.email, c.w.pw.password) : null
  },
  after: afterReply,
}
