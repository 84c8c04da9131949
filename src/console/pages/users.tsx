/** @jsxImportSource preact */
// Users (`/users`, admins only: the API's 403 is the page's): the list with roles, and creating a user
// (GET/POST /api/users; docs/console.md "Users"). Disabling a user and resetting a password come with a
// later issue: the table is where their column will go.
import { Time, Pager } from '../components/common'
import { CsrfField, ErrorNote, htmlPage, Layout, Notice, seeOther, type Viewer } from '../html'
import { errorPage, errorText, field, fieldErrors, read, send, TextField, type ConsoleContext, type ConsoleRoute, type FieldErrors } from '../kit'
import { query } from '../paths'

export const USER_PAGE = 100
const ROLES = ['operator', 'admin'] as const

type User = { id: string; email: string; name: string | null; role: string; created_at: string }
type UserForm = { email: string; name: string; role: string }

type PageProps = { viewer: Viewer; now: number; users: User[]; next: string | null; paged: boolean; notice?: string; form?: UserForm; errors?: FieldErrors }

function UsersPage(p: PageProps) {
  return (
    <Layout title="Users" viewer={p.viewer} section="users">
      <h1>Users</h1>
      <Notice message={p.notice} />
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
                <th scope="col">Created</th>
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
                  <td>
                    <Time iso={user.created_at} now={p.now} />
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
  const props: PageProps = {
    viewer: ctx.viewer,
    now: ctx.now,
    users: list.users,
    next: list.next_cursor ?? null,
    paged: cursor !== null,
    notice: createdUser ? `User ${createdUser.email} created, as ${createdUser.role}.` : undefined,
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

export const userPages: ConsoleRoute[] = [
  { method: 'GET', path: '/users', section: 'users', handle: (ctx) => renderUsers(ctx) },
  { method: 'POST', path: '/users', section: 'users', handle: createUser },
]
