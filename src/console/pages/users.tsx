/** @jsxImportSource preact */
// Users (`/users`, admins only: the API's 403 is the page's): the list with roles and who is disabled,
// creating a user (GET/POST /api/users), and, per user behind a "Manage…" disclosure that is the
// confirmation step, changing the role, disabling or enabling, and resetting the password to one the
// admin types (PATCH /api/users/{id}, POST /api/users/{id}/password; docs/console.md "Users").
import { Time, Pager } from '../components/common'
import { CsrfField, ErrorNote, htmlPage, Layout, Notice, seeOther, type Viewer } from '../html'
import { errorPage, errorText, field, fieldErrors, read, send, TextField, type ConsoleContext, type ConsoleRoute, type FieldErrors } from '../kit'
import { path, query } from '../paths'

export const USER_PAGE = 100
const ROLES = ['operator', 'admin'] as const

type User = { id: string; email: string; name: string | null; role: string; created_at: string; disabled_at: string | null }
/** An action on one user that the API refused: said next to the control it concerns. */
type RowError = { userId: string; field: 'role' | 'disabled' | 'new_password'; message: string }
type UserForm = { email: string; name: string; role: string }

type PageProps = { viewer: Viewer; now: number; users: User[]; next: string | null; paged: boolean; notice?: string; form?: UserForm; errors?: FieldErrors; rowError?: RowError; pageError?: string }

function UsersPage(p: PageProps) {
  return (
    <Layout title="Users" viewer={p.viewer} section="users">
      <h1>Users</h1>
      <Notice message={p.notice} />
      <ErrorNote message={p.pageError} />
      <p class="muted">Admins manage users and everything operators do; operators run the fleet. Each user sees only their own missions, plans, deployments, agents and keys.</p>
      {p.users.length === 0 ? (
        <p class="empty">No more users.</p>
      ) : (
        <div class="table-wrap">
          <table class="list" id="users">
            <caption class="sr-only">Users, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {p.users.map((user) => (
                <tr data-id={user.id}>
                  <th scope="row">
                    {user.email}
                    {user.id === p.viewer.id && <small class="muted"> (you)</small>}
                  </th>
                  <td>{user.name || <span class="muted">—</span>}</td>
                  <td>
                    <span class={`badge role-${user.role === 'admin' ? 'admin' : 'operator'}`} data-role={user.role}>
                      {user.role}
                    </span>
                  </td>
                  <td data-status={user.disabled_at ? 'disabled' : 'active'}>
                    {user.disabled_at ? (
                      <span>
                        <span class="badge status-failed">disabled</span> <small class="muted">since <Time iso={user.disabled_at} now={p.now} /></small>
                      </span>
                    ) : (
                      <span class="muted">active</span>
                    )}
                  </td>
                  <td>
                    <Time iso={user.created_at} now={p.now} />
                  </td>
                  <td>
                    <ManageUser viewer={p.viewer} user={user} error={p.rowError?.userId === user.id ? p.rowError : undefined} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager base="/users" paged={p.paged} next={p.next} />
      <NewUser viewer={p.viewer} form={p.form} errors={p.errors} />
    </Layout>
  )
}

/** The actions on one user, behind a disclosure: opening it is the first step, each button says what it does. */
function ManageUser({ viewer, user, error }: { viewer: Viewer; user: User; error?: RowError }) {
  const base = path('/users', user.id)
  const slug = user.id.replace(/[^A-Za-z0-9_-]/g, '_')
  const errorOf = (field: RowError['field']) => (error?.field === field ? error.message : undefined)
  const you = user.id === viewer.id
  const otherRole = user.role === 'admin' ? 'operator' : 'admin'
  return (
    <details class="confirm" open={error ? true : undefined} data-manage={user.id}>
      <summary>Manage…</summary>
      <form method="post" action={`${base}/role`} class="stack">
        <CsrfField viewer={viewer} />
        <input type="hidden" name="role" value={otherRole} />
        <p>
          {otherRole === 'admin'
            ? 'An admin manages users and reads the audit log.'
            : you
              ? 'You will lose access to users and the audit log at once.'
              : 'They will lose access to users and the audit log at once.'}
        </p>
        <button type="submit" aria-describedby={errorOf('role') ? `role-error-${slug}` : undefined}>
          {otherRole === 'admin' ? 'Make admin' : 'Make operator'}
        </button>
        <ErrorNote id={`role-error-${slug}`} message={errorOf('role')} />
      </form>
      {user.disabled_at ? (
        <form method="post" action={`${base}/enable`} class="stack">
          <CsrfField viewer={viewer} />
          <p>Their API keys work again at once; they log in again with their password.</p>
          <button type="submit">Enable</button>
          <ErrorNote id={`disabled-error-${slug}`} message={errorOf('disabled')} />
        </form>
      ) : (
        <form method="post" action={`${base}/disable`} class="stack">
          <CsrfField viewer={viewer} />
          <p>{`Disabling ends every session of ${you ? 'yours' : 'theirs'} now, and every API key of the user answers 401 until they are enabled again. Nothing is deleted.`}</p>
          <button type="submit" class="danger" aria-describedby={errorOf('disabled') ? `disabled-error-${slug}` : undefined}>
            {`Disable ${user.email}`}
          </button>
          <ErrorNote id={`disabled-error-${slug}`} message={errorOf('disabled')} />
        </form>
      )}
      <form method="post" action={`${base}/password`} class="stack">
        <CsrfField viewer={viewer} />
        <div class="field">
          <label for={`new-password-${slug}`}>New password</label>
          <input
            id={`new-password-${slug}`}
            name="new_password"
            type="password"
            required
            autocomplete="new-password"
            aria-invalid={errorOf('new_password') ? 'true' : undefined}
            aria-describedby={`new-password-hint-${slug}${errorOf('new_password') ? ` new-password-error-${slug}` : ''}`}
          />
          <small id={`new-password-hint-${slug}`} class="hint">
            At least 10 characters. Every session of the user ends; give them the new password.
          </small>
          <ErrorNote id={`new-password-error-${slug}`} message={errorOf('new_password')} />
        </div>
        <button type="submit" class="danger">
          Reset the password
        </button>
      </form>
    </details>
  )
}

function NewUser({ viewer, form, errors }: { viewer: Viewer; form?: UserForm; errors?: FieldErrors }) {
  const chosen = form ?? { email: '', name: '', role: 'operator' }
  const roleError = errors?.role
  return (
    <section aria-labelledby="new-user" class="narrow">
      <h2 id="new-user">New user</h2>
      <form method="post" action="/users" class="stack" id="new-user-form">
        <CsrfField viewer={viewer} />
        <ErrorNote message={errors?.['']} />
        <TextField name="email" label="Email" type="email" value={chosen.email} required autocomplete="off" errors={errors} />
        <TextField name="password" label="Password" type="password" required autocomplete="new-password" hint="At least 10 characters. Give it to the user; they can change it on their account page." errors={errors} />
        <TextField name="name" label="Name (optional)" value={chosen.name} autocomplete="off" errors={errors} />
        <div class="field">
          <label for="f-role">Role</label>
          <select id="f-role" name="role" aria-invalid={roleError ? 'true' : undefined} aria-describedby={roleError ? 'f-role-error' : undefined}>
            {ROLES.map((role) => (
              <option value={role} selected={role === chosen.role}>
                {role === 'admin' ? 'admin (may manage users)' : 'operator'}
              </option>
            ))}
          </select>
          <ErrorNote id="f-role-error" message={roleError} />
        </div>
        <button type="submit">Create user</button>
      </form>
    </section>
  )
}

async function renderUsers(ctx: ConsoleContext, extra: Partial<PageProps> = {}, status = 200): Promise<Response> {
  const cursor = ctx.url.searchParams.get('cursor')
  const list = await read<{ users: User[]; next_cursor?: string }>(ctx, `/api/users${query({ limit: USER_PAGE, cursor })}`)
  const created = ctx.url.searchParams.get('created')
  const createdUser = created ? list.users.find((u) => u.id === created) : undefined
  const done = ctx.url.searchParams.get('done')
  const doneUser = list.users.find((u) => u.id === ctx.url.searchParams.get('user'))
  const doneText = doneUser && done ? DONE[done]?.(doneUser) : undefined
  const props: PageProps = {
    viewer: ctx.viewer,
    now: ctx.now,
    users: list.users,
    next: list.next_cursor ?? null,
    paged: cursor !== null,
    notice: createdUser ? `User ${createdUser.email} created, as ${createdUser.role}.` : doneText,
    ...extra,
  }
  return htmlPage(<UsersPage {...props} />, { status })
}

async function createUser(ctx: ConsoleContext): Promise<Response> {
  const form = { email: field(ctx.form, 'email'), name: field(ctx.form, 'name'), role: field(ctx.form, 'role') || 'operator' }
  const body: Record<string, unknown> = { email: form.email, password: field(ctx.form, 'password'), role: form.role }
  if (form.name.trim() !== '') body.name = form.name
  const reply = await send<User>(ctx, 'POST', '/api/users', body)
  if (reply.ok) return seeOther(`/users${query({ created: reply.body.id })}`)
  // Not an admin (any more): the page itself is refused.
  if (reply.status === 403) return errorPage(ctx, 403, errorText(reply), 'users')
  // The email is taken: said next to the email (docs/api.md §1: 409).
  const errors = reply.status === 409 ? { email: `${errorText(reply)}: choose another email` } : fieldErrors(reply)
  return renderUsers(ctx, { form, errors }, reply.status)
}

/** What the page says after an action went through (`?done=…&user=…`). */
const DONE: Record<string, (u: User) => string> = {
  role: (u) => `${u.email} is now ${u.role === 'admin' ? 'an admin' : 'an operator'}.`,
  disable: (u) => `${u.email} is disabled: their sessions ended and their keys answer 401.`,
  enable: (u) => `${u.email} is enabled again.`,
  password: (u) => `The password of ${u.email} was reset; their sessions ended.`,
}

/** One action on one user: the API call, then back to the list, or the list with the refusal next to its control. */
function userAction(kind: 'role' | 'disable' | 'enable' | 'password') {
  return async (ctx: ConsoleContext): Promise<Response> => {
    const id = ctx.params.id!
    const reply =
      kind === 'password'
        ? await send(ctx, 'POST', `${path('/api/users', id)}/password`, { new_password: field(ctx.form, 'new_password') })
        : await send<User>(ctx, 'PATCH', path('/api/users', id), kind === 'role' ? { role: field(ctx.form, 'role') } : { disabled: kind === 'disable' })
    if (reply.ok) return seeOther(`/users${query({ done: kind, user: id })}`)
    if (reply.status === 403) return errorPage(ctx, 403, errorText(reply), 'users')
    if (reply.status === 404) return renderUsers(ctx, { pageError: `That user no longer exists: ${errorText(reply)}.` }, 404)
    const fieldName = kind === 'password' ? 'new_password' : kind === 'role' ? 'role' : 'disabled'
    // The last active admin (409) and bad values (400) alike: in words, next to the control.
    return renderUsers(ctx, { rowError: { userId: id, field: fieldName, message: errorText(reply) } }, reply.status)
  }
}

export const userPages: ConsoleRoute[] = [
  { method: 'GET', path: '/users', section: 'users', handle: (ctx) => renderUsers(ctx) },
  { method: 'POST', path: '/users', section: 'users', handle: createUser },
  { method: 'POST', path: '/users/:id/role', section: 'users', handle: userAction('role') },
  { method: 'POST', path: '/users/:id/disable', section: 'users', handle: userAction('disable') },
  { method: 'POST', path: '/users/:id/enable', section: 'users', handle: userAction('enable') },
  { method: 'POST', path: '/users/:id/password', section: 'users', handle: userAction('password') },
]
