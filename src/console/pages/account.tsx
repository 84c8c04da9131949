/** @jsxImportSource preact */
// The viewer's own account: who they are, and changing their password (POST /api/auth/password).
import { CsrfField, htmlPage, Layout, Notice, type Viewer } from '../html'
import { field, fieldErrors, send, TextField, type ConsoleRoute, type FieldErrors } from '../kit'

function AccountPage({ viewer, errors, notice }: { viewer: Viewer; errors?: FieldErrors; notice?: string }) {
  return (
    <Layout title="Account" viewer={viewer} section="account">
      <h1>Account</h1>
      <dl class="facts">
        <dt>Email</dt>
        <dd>{viewer.email}</dd>
        <dt>Name</dt>
        <dd>{viewer.name || <span class="muted">—</span>}</dd>
        <dt>Role</dt>
        <dd>{viewer.role}</dd>
      </dl>
      <section class="narrow">
        <h2>Change password</h2>
        <Notice message={notice} />
        <form method="post" action="/account/password" class="stack" id="password-form">
          <CsrfField viewer={viewer} />
          {errors?.[''] && <p class="error" role="alert">{errors['']}</p>}
          <TextField name="current_password" label="Current password" type="password" required autocomplete="current-password" errors={errors} />
          <TextField
            name="new_password"
            label="New password"
            type="password"
            required
            autocomplete="new-password"
            hint="At least 10 characters. Your other sessions are logged out."
            errors={errors}
          />
          <button type="submit">Change password</button>
        </form>
      </section>
    </Layout>
  )
}

export const accountRoutes: ConsoleRoute[] = [
  {
    method: 'GET',
    path: '/account',
    section: 'account',
    async handle(ctx) {
      return htmlPage(<AccountPage viewer={ctx.viewer} />)
    },
  },
  {
    method: 'POST',
    path: '/account/password',
    section: 'account',
    async handle(ctx) {
      const reply = await send(ctx, 'POST', '/api/auth/password', {
        current_password: field(ctx.form, 'current_password'),
        new_password: field(ctx.form, 'new_password'),
      })
      if (reply.ok) return htmlPage(<AccountPage viewer={ctx.viewer} notice="Password changed. Your other sessions have been logged out." />)
      return htmlPage(<AccountPage viewer={ctx.viewer} errors={fieldErrors(reply)} />, { status: reply.status })
    },
  },
]
