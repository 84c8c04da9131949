/** @jsxImportSource preact */
// API keys (`/keys`): the caller's keys with their last use, creating one — shown once, with a copy
// button — and revoking one (POST/GET/DELETE /api/keys; docs/console.md "API keys").
import { Time, Pager } from '../components/common'
import { CsrfField, ErrorNote, htmlPage, Layout, Notice, seeOther, type Viewer } from '../html'
import { errorText, field, fieldErrors, read, send, TextField, type ConsoleContext, type ConsoleRoute, type FieldErrors } from '../kit'
import { path, query } from '../paths'

export const KEY_PAGE = 100
const ENVIRONMENTS = ['live', 'test'] as const
/** The scopes (docs/api.md §1 "Key scopes"), in words. */
const SCOPES = [
  ['full', 'full: everything you may do'],
  ['agent', 'agent: the agent protocol and reports only (a key on a satellite)'],
  ['read', 'read: reads only (dashboards, exports)'],
] as const

type Key = {
  id: string
  name: string
  prefix: string
  environment: string
  scope: string
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}
type CreatedKey = { id: string; name: string; key: string; prefix: string; environment: string; scope: string; created_at: string }
type KeyForm = { name: string; environment: string; scope: string }

type PageProps = {
  viewer: Viewer
  now: number
  keys: Key[]
  next: string | null
  paged: boolean
  created?: CreatedKey
  notice?: string
  revokeError?: string
  form?: KeyForm
  errors?: FieldErrors
}

function KeysPage(p: PageProps) {
  return (
    <Layout title="API keys" viewer={p.viewer} section="keys">
      <h1>API keys</h1>
      <Notice message={p.notice} />
      <ErrorNote message={p.revokeError} />
      {p.created && <CreatedKeyBox created={p.created} />}
      <p class="muted">
        Agents and scripts authenticate with a key (<code>X-API-Key</code> or <code>Authorization: Bearer</code>). Only a hash of each key is
        stored: a lost key cannot be shown again; create a new one and revoke the old.
      </p>
      {p.keys.length === 0 ? (
        <p class="empty">{p.paged ? 'No more keys.' : 'You have no API key yet. Create one below.'}</p>
      ) : (
        <div class="table-wrap">
          <table class="list" id="keys">
            <caption class="sr-only">API keys, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Environment</th>
                <th scope="col">Scope</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {p.keys.map((key) => (
                <tr data-id={key.id} data-state={key.revoked_at ? 'revoked' : 'active'}>
                  <th scope="row">{key.name}</th>
                  <td class="mono">{`${key.prefix}…`}</td>
                  <td>{key.environment}</td>
                  <td data-scope={key.scope}>{key.scope}</td>
                  <td>
                    <Time iso={key.created_at} now={p.now} />
                  </td>
                  <td>{key.last_used_at ? <Time iso={key.last_used_at} now={p.now} /> : <span class="muted">never</span>}</td>
                  <td>
                    {key.revoked_at ? (
                      <>
                        <span class="badge key-revoked" data-state="revoked">
                          <span aria-hidden="true">⊘</span> revoked
                        </span>{' '}
                        <Time iso={key.revoked_at} now={p.now} />
                      </>
                    ) : (
                      <span class="badge key-active" data-state="active">
                        <span aria-hidden="true">✓</span> active
                      </span>
                    )}
                  </td>
                  <td>{key.revoked_at ? <span class="muted">—</span> : <RevokeForm viewer={p.viewer} keyItem={key} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager base="/keys" paged={p.paged} next={p.next} />
      <NewKey viewer={p.viewer} form={p.form} errors={p.errors} />
    </Layout>
  )
}

/** The new key, once: selectable as text without JavaScript (a click selects it all), copied by the `copy` island. */
function CreatedKeyBox({ created }: { created: CreatedKey }) {
  return (
    <section class="key-created" aria-labelledby="new-key-heading" data-island="copy">
      <h2 id="new-key-heading">{`New key “${created.name}”`}</h2>
      <p class="warning" role="status">
        <strong>Copy this key now: it will not be shown again.</strong> Only its hash is kept; if it is lost, create another.
      </p>
      <p class="muted">{`Environment ${created.environment}, scope ${created.scope}.`}</p>
      <p class="key-once" id="new-key" data-key>
        {created.key}
      </p>
      <p class="copy-row">
        <button type="button" data-copy-target="new-key" hidden>
          Copy the key
        </button>
        <span class="muted" data-copy-state aria-live="polite" />
      </p>
    </section>
  )
}

function RevokeForm({ viewer, keyItem }: { viewer: Viewer; keyItem: Key }) {
  return (
    <details class="confirm">
      <summary>Revoke…</summary>
      <form method="post" action={`${path('/keys', keyItem.id)}/revoke`} class="stack">
        <CsrfField viewer={viewer} />
        <p>Revoking is final: whatever uses this key gets 401 from its very next request.</p>
        <button type="submit" class="danger">{`Revoke “${keyItem.name}”`}</button>
      </form>
    </details>
  )
}

function NewKey({ viewer, form, errors }: { viewer: Viewer; form?: KeyForm; errors?: FieldErrors }) {
  const chosen = form ?? { name: '', environment: 'live', scope: 'full' }
  const environmentError = errors?.environment
  const scopeError = errors?.scope
  return (
    <section aria-labelledby="new-key-form-heading" class="narrow">
      <h2 id="new-key-form-heading">New key</h2>
      <form method="post" action="/keys" class="stack" id="new-key-form">
        <CsrfField viewer={viewer} />
        <ErrorNote message={errors?.['']} />
        <TextField name="name" label="Name" value={chosen.name} required errors={errors} hint="What uses it: a satellite, a script." />
        <div class="field">
          <label for="f-environment">Environment</label>
          <select id="f-environment" name="environment" aria-invalid={environmentError ? 'true' : undefined} aria-describedby={environmentError ? 'f-environment-error' : undefined}>
            {ENVIRONMENTS.map((e) => (
              <option value={e} selected={e === chosen.environment}>
                {e === 'live' ? 'live (rs_live_…)' : 'test (rs_test_…)'}
              </option>
            ))}
          </select>
          <ErrorNote id="f-environment-error" message={environmentError} />
        </div>
        <div class="field">
          <label for="f-scope">Scope</label>
          <select id="f-scope" name="scope" aria-invalid={scopeError ? 'true' : undefined} aria-describedby={scopeError ? 'f-scope-error' : 'f-scope-hint'}>
            {SCOPES.map(([value, words]) => (
              <option value={value} selected={value === chosen.scope}>
                {words}
              </option>
            ))}
          </select>
          <small class="hint" id="f-scope-hint">A key outside its scope gets 403: give a satellite an agent key.</small>
          <ErrorNote id="f-scope-error" message={scopeError} />
        </div>
        <button type="submit">Create key</button>
      </form>
    </section>
  )
}

async function renderKeys(ctx: ConsoleContext, extra: Partial<PageProps> = {}, status = 200): Promise<Response> {
  const cursor = ctx.url.searchParams.get('cursor')
  const list = await read<{ keys: Key[]; next_cursor?: string }>(ctx, `/api/keys${query({ limit: KEY_PAGE, cursor })}`)
  const revoked = ctx.url.searchParams.get('revoked')
  const revokedKey = revoked ? list.keys.find((k) => k.id === revoked) : undefined
  const props: PageProps = {
    viewer: ctx.viewer,
    now: ctx.now,
    keys: list.keys,
    next: list.next_cursor ?? null,
    paged: cursor !== null,
    notice: revokedKey ? `Key “${revokedKey.name}” revoked: requests with it now get 401.` : undefined,
    ...extra,
  }
  // Every console page is no-store (src/console/html.tsx); this one says it again, as it may hold a key.
  return htmlPage(<KeysPage {...props} />, { status, headers: { 'cache-control': 'no-store' } })
}

async function createKey(ctx: ConsoleContext): Promise<Response> {
  const form = { name: field(ctx.form, 'name'), environment: field(ctx.form, 'environment') || 'live', scope: field(ctx.form, 'scope') || 'full' }
  const reply = await send<CreatedKey>(ctx, 'POST', '/api/keys', form)
  // The page itself, not a redirect: the key exists only in this response.
  if (reply.ok) return renderKeys(ctx, { created: reply.body })
  return renderKeys(ctx, { form, errors: fieldErrors(reply) }, reply.status)
}

async function revokeKey(ctx: ConsoleContext): Promise<Response> {
  const id = ctx.params.id!
  const reply = await send(ctx, 'DELETE', path('/api/keys', id))
  if (reply.ok) return seeOther(`/keys${query({ revoked: id })}`)
  return renderKeys(ctx, { revokeError: `The key could not be revoked: ${errorText(reply)}.` }, reply.status)
}

export const keyPages: ConsoleRoute[] = [
  { method: 'GET', path: '/keys', section: 'keys', handle: (ctx) => renderKeys(ctx) },
  { method: 'POST', path: '/keys', section: 'keys', handle: createKey },
  { method: 'POST', path: '/keys/:id/revoke', section: 'keys', handle: revokeKey },
]
