/** @jsxImportSource preact */
// The audit log (`/audit`, admins only: the API's 403 is the page's): who did what, when, from where,
// newest first, filtered by action and by actor (GET /api/audit; docs/console.md "Audit log").
import { AUDIT_ACTIONS } from '../../domain/audit'
import { Pager, Time } from '../components/common'
import { ErrorNote, htmlPage, Layout, type Viewer } from '../html'
import { errorField, errorPage, errorText, PageError, type ConsoleContext, type ConsoleRoute } from '../kit'
import { query } from '../paths'

export const AUDIT_PAGE = 100

type AuditRecord = {
  id: number
  at: string
  action: string
  actor_id: string | null
  actor_email: string | null
  target: string | null
  address: string | null
  detail: Record<string, string | number | boolean | null> | null
}
type Filters = { action: string; actor: string }
type PageProps = { viewer: Viewer; now: number; records: AuditRecord[]; next: string | null; paged: boolean; filters: Filters; errors?: Record<string, string> }

/** Each action in words, for people reading the log. */
const ACTION_TEXT: Record<string, string> = {
  login: 'logged in',
  login_failed: 'failed to log in',
  logout: 'logged out',
  'password.change': 'changed their password',
  'password.reset': 'reset a password',
  'key.create': 'created an API key',
  'key.revoke': 'revoked an API key',
  'user.create': 'created a user',
  'user.role': 'changed a role',
  'user.disable': 'disabled a user',
  'user.enable': 'enabled a user',
  'deployment.cancel': 'cancelled a deployment',
  backup: 'downloaded a backup',
}

function AuditPage(p: PageProps) {
  const params = { action: p.filters.action, actor: p.filters.actor }
  return (
    <Layout title="Audit log" viewer={p.viewer} section="audit">
      <h1>Audit log</h1>
      <p class="muted">Who did what, when and from which address: logins, keys, users, cancels and backups. Newest first.</p>
      <form method="get" action="/audit" class="filters" id="audit-filters">
        <div class="field">
          <label for="f-action">Action</label>
          <select id="f-action" name="action" aria-invalid={p.errors?.action ? 'true' : undefined} aria-describedby={p.errors?.action ? 'f-action-error' : undefined}>
            <option value="" selected={p.filters.action === ''}>
              any
            </option>
            {AUDIT_ACTIONS.map((action) => (
              <option value={action} selected={action === p.filters.action}>
                {`${action} (${ACTION_TEXT[action]})`}
              </option>
            ))}
          </select>
          <ErrorNote id="f-action-error" message={p.errors?.action} />
        </div>
        <div class="field">
          <label for="f-actor">Actor (a user id)</label>
          <input
            id="f-actor"
            name="actor"
            value={p.filters.actor}
            maxLength={128}
            autocomplete="off"
            aria-invalid={p.errors?.actor ? 'true' : undefined}
            aria-describedby={p.errors?.actor ? 'f-actor-error' : undefined}
          />
          <ErrorNote id="f-actor-error" message={p.errors?.actor} />
        </div>
        <button type="submit">Filter</button>
        <ErrorNote message={p.errors?.['']} />
      </form>
      {p.records.length === 0 ? (
        <p class="empty">{p.errors ? 'Nothing to show for these filters.' : 'No records.'}</p>
      ) : (
        <div class="table-wrap">
          <table class="list" id="audit">
            <caption class="sr-only">Audit records, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">On</th>
                <th scope="col">From</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {p.records.map((r) => (
                <tr data-id={String(r.id)} data-action={r.action}>
                  <td>
                    <Time iso={r.at} now={p.now} />
                  </td>
                  <th scope="row">
                    {r.actor_email ?? <span class="muted">{r.address === null ? 'command line' : 'nobody known'}</span>}
                    {r.actor_id && (
                      <small class="muted mono">
                        {' '}
                        <a href={`/audit${query({ actor: r.actor_id })}`}>{r.actor_id}</a>
                      </small>
                    )}
                  </th>
                  <td>
                    <span class="mono">{r.action}</span> <small class="muted">{ACTION_TEXT[r.action] ?? ''}</small>
                  </td>
                  <td class="mono">{r.target ?? <span class="muted">—</span>}</td>
                  <td class="mono">{r.address ?? <span class="muted">—</span>}</td>
                  <td>
                    {r.detail ? (
                      <dl class="facts">
                        {Object.entries(r.detail).map(([name, value]) => (
                          <>
                            <dt>{name}</dt>
                            <dd>{String(value)}</dd>
                          </>
                        ))}
                      </dl>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager base="/audit" params={params} paged={p.paged} next={p.next} />
    </Layout>
  )
}

async function renderAudit(ctx: ConsoleContext): Promise<Response> {
  const search = ctx.url.searchParams
  const filters: Filters = { action: search.get('action') ?? '', actor: search.get('actor') ?? '' }
  const cursor = search.get('cursor')
  const base = { viewer: ctx.viewer, now: ctx.now, filters, paged: cursor !== null }
  const reply = await ctx.api.call<{ records: AuditRecord[]; next_cursor?: string }>(ctx.request, 'GET', `/api/audit${query({ limit: AUDIT_PAGE, ...filters, cursor })}`)
  ctx.cookies.push(...reply.setCookies)
  if (reply.ok) return htmlPage(<AuditPage {...base} records={reply.body.records} next={reply.body.next_cursor ?? null} />)
  // A filter the API refused: the form again, with the reason next to the field (a bad cursor: above the list).
  if (reply.status === 400) {
    const name = errorField(reply)
    return htmlPage(<AuditPage {...base} records={[]} next={null} errors={{ [name === 'action' || name === 'actor' ? name : '']: errorText(reply) }} />, { status: 400 })
  }
  if (reply.status === 403) return errorPage(ctx, 403, errorText(reply), 'audit')
  throw new PageError(reply.status, errorText(reply))
}

export const auditPages: ConsoleRoute[] = [{ method: 'GET', path: '/audit', section: 'audit', handle: renderAudit }]
