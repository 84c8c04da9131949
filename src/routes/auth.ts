// Log in, log out, who am I, change my password (docs/api.md §1): the session cookie for people using the
// console or curl.
import { Elysia, t } from 'elysia'
import { crossSiteRefused, sessionCookie, sessionTokenFrom } from '../http/auth'
import { crossSite } from '../http/csrf'
import { userDto } from '../http/dto'
import { json, noContent, parseJson, readBody } from '../http/json'
import { validate } from '../http/validate'
import type { RouteDeps } from './deps'
import { documented } from '../http/route-doc'
import { Empty, UserEnvelope } from '../http/schemas'

const LoginBody = t.Object({ email: t.String({ maxLength: 254 }), password: t.String({ maxLength: 1024, secret: true }) })
const ChangePasswordBody = t.Object({
  current_password: t.String({ maxLength: 1024, secret: true }),
  new_password: t.String({ minLength: 10, maxLength: 1024, secret: true, error: 'must be a string of 10 to 1024 characters' }),
})

export const authRoutes = ({ auth, guard, secureCookies, clock, clientAddress }: RouteDeps) =>
  new Elysia({ name: 'routes/auth', prefix: '/api/auth' })
    .use(guard)
    .post('/login', async ({ request }) => {
      // Login CSRF: another site must not log a browser into an account of its choosing.
      if (crossSite(request)) throw crossSiteRefused()
      const body = validate(LoginBody, parseJson(await readBody(request)))
      const { user, token, expiresAt } = await auth.login(body.email, body.password, clientAddress(request))
      return json({ user: userDto(user) }, 200, { 'set-cookie': sessionCookie(token, expiresAt, secureCookies, clock()) })
    }, documented({
      tag: 'accounts',
      summary: 'Log in',
      description: 'Sets the `session` cookie (HttpOnly, SameSite=Lax; Secure under TLS). Repeated failures from one address or for one account are throttled with 429 and Retry-After (docs/auth.md).',
      body: LoginBody,
      changes: true,
      errors: [401, 429],
      response: { 200: UserEnvelope },
    }))
    .post('/logout', async ({ request }) => {
      const token = sessionTokenFrom(request.headers)
      if (token && crossSite(request)) throw crossSiteRefused()
      if (token) await auth.logout(token, clientAddress(request))
      return noContent({ 'set-cookie': sessionCookie('', null, secureCookies, clock()) })
    }, documented({ tag: 'accounts', summary: 'Log out', description: 'Ends the session of the cookie sent, if any, and clears the cookie.', changes: true, response: { 204: Empty } }))
    .get('/me', ({ principal }) => json({ user: userDto(principal.user) }), {
      auth: 'session',
      ...documented({ tag: 'accounts', summary: 'Who the session belongs to', auth: 'session', response: { 200: UserEnvelope } }),
    })
    .post(
      '/password',
      async ({ request, principal }) => {
        const body = validate(ChangePasswordBody, parseJson(await readBody(request)))
        await auth.changePassword(principal.user, principal.sessionId!, body.current_password, body.new_password, clientAddress(request))
        return noContent()
      },
      {
        auth: 'session',
        ...documented({
          tag: 'accounts',
          summary: 'Change my password',
          description: 'Needs the current password; ends every other session of the account (docs/auth.md "Changing your password").',
          auth: 'session',
          body: ChangePasswordBody,
          changes: true,
          errors: [429],
          response: { 204: Empty },
        }),
      },
    )
