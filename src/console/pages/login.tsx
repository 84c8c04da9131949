/** @jsxImportSource preact */
// Log in and log out (docs/api.md §1 through POST /api/auth/login and /logout).
import { ErrorNote, htmlPage, Layout, seeOther } from '../html'
import { errorText, field, send, TextField, type ConsoleRoute } from '../kit'
import { localPath } from '../paths'

function LoginPage({ next, email, error }: { next: string; email: string; error?: string }) {
  return (
    <Layout title="Log in" viewer={null} section="login">
      <section class="narrow">
        <h1>Log in</h1>
        <form method="post" action={`/login${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`} class="stack">
          <ErrorNote message={error} id="login-error" />
          <TextField name="email" label="Email" type="email" value={email} required autocomplete="username" autofocus />
          <TextField name="password" label="Password" type="password" required autocomplete="current-password" />
          <button type="submit">Log in</button>
        </form>
      </section>
    </Layout>
  )
}

export const loginRoutes: ConsoleRoute[] = [
  {
    method: 'GET',
    path: '/login',
    public: true,
    async handle(ctx) {
      const next = localPath(ctx.url.searchParams.get('next'))
      if (ctx.viewer) return seeOther(next)
      return htmlPage(<LoginPage next={next} email="" />)
    },
  },
  {
    method: 'POST',
    path: '/login',
    public: true,
    async handle(ctx) {
      const next = localPath(ctx.url.searchParams.get('next'))
      const email = field(ctx.form, 'email')
      const reply = await ctx.api.call(ctx.request, 'POST', '/api/auth/login', { email, password: field(ctx.form, 'password') })
      ctx.cookies.push(...reply.setCookies)
      if (reply.ok) return seeOther(next)
      const headers: Record<string, string> = reply.retryAfter ? { 'retry-after': reply.retryAfter } : {}
      return htmlPage(<LoginPage next={next} email={email} error={loginError(reply.status, errorText(reply))} />, { status: reply.status, headers })
    },
  },
  {
    method: 'POST',
    path: '/logout',
    async handle(ctx) {
      await send(ctx, 'POST', '/api/auth/logout')
      return seeOther('/login')
    },
  },
]

function loginError(status: number, message: string): string {
  if (status === 401) return 'Wrong email or password.'
  return message
}
