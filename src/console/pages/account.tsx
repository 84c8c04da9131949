/** @jsxImportSource preact */
// The viewer's own account: who they are, what they use of the quotas (GET /api/usage), and changing their
// password (POST /api/auth/password).
import { Time } from '../components/common'
import { formatSize } from '../../domain/quota'
import { CsrfField, htmlPage, Layout, Notice, type Viewer } from '../html'
import { field, fieldErrors, read, send, TextField, type ConsoleContext, type ConsoleRoute, type FieldErrors } from '../kit'

type Usage = { events: { used: number; limit: number; period_ends_at: string } | null; storage: { used_bytes: number; limit_bytes: number | null } }

function UsageFacts({ usage, now }: { usage: Usage; now: number }) {
  const { events, storage } = usage
  return (
    <section aria-labelledby="usage-heading">
      <h2 id="usage-heading">Usage</h2>
      <dl class="facts" id="usage">
        <dt>Stored events</dt>
        <dd data-used-bytes={storage.used_bytes}>
          {storage.limit_bytes === null ? `${formatSize(storage.used_bytes)} (no storage quota)` : `${formatSize(storage.used_bytes)} of ${formatSize(storage.limit_bytes)}`}
        </dd>
        <dt>New events</dt>
        <dd>
          {events === null ? (
            'no event quota'
          ) : (
            <>
              {`${events.used} of ${events.limit} this period, which ends `}
              <Time iso={events.period_ends_at} now={now} />
            </>
          )}
        </dd>
      </dl>
      <p class="muted">Past a quota, reports are refused and nothing is stored.</p>
    </section>
  )
}

function AccountPage({ viewer, usage, now, errors, notice }: { viewer: Viewer; usage: Usage; now: number; errors?: FieldErrors; notice?: string }) {
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
      <UsageFacts usage={usage} now={now} />
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
      return htmlPage(<AccountPage viewer={ctx.viewer} usage={await usageOf(ctx)} now={ctx.now} />)
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
      const usage = await usageOf(ctx)
      if (reply.ok) return htmlPage(<AccountPage viewer={ctx.viewer} usage={usage} now={ctx.now} notice="Password changed. Your other sessions have been logged out." />)
      return htmlPage(<AccountPage viewer={ctx.viewer} usage={usage} now={ctx.now} errors={fieldErrors(reply)} />, { status: reply.status })
    },
  },
]

const usageOf = (ctx: ConsoleContext) => read<Usage>(ctx, '/api/usage')
