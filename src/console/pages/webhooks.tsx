/** @jsxImportSource preact */
// Webhooks (`/webhooks`, `/webhooks/{id}`): the caller's webhooks, creating one — its signing secret shown
// once — deleting one, sending a test delivery, and each webhook's delivery log (the /api/webhooks
// routes; docs/console.md "Webhooks").
import { Pager, Time } from '../components/common'
import { CsrfField, ErrorNote, htmlPage, Layout, Notice, seeOther, type Viewer } from '../html'
import { errorText, field, fieldErrors, read, send, TextField, type ConsoleContext, type ConsoleRoute, type FieldErrors } from '../kit'
import { path, query } from '../paths'

export const WEBHOOK_PAGE = 100
export const DELIVERY_PAGE = 50
/** The alerts, as docs/api.md §1 "Webhooks" lists them, with what each means in words. */
const EVENTS = [
  ['deployment.failed', 'a deployment failed'],
  ['deployment.completed', 'a deployment completed'],
  ['deployment.cancelled', 'a deployment was cancelled'],
  ['agent.lost', 'an agent was lost (not seen for too long)'],
] as const

type Webhook = { id: string; url: string; events: string[]; created_at: string }
type CreatedWebhook = Webhook & { secret: string }
type Delivery = {
  id: string
  event: string
  state: string
  attempts: number
  created_at: string
  next_attempt_at: string | null
  last_attempt_at: string | null
  last_status: number | null
  last_error: string | null
}
type WebhookForm = { url: string; events: string[] }

type ListProps = {
  viewer: Viewer
  now: number
  webhooks: Webhook[]
  next: string | null
  paged: boolean
  created?: CreatedWebhook
  notice?: string
  actionError?: string
  form?: WebhookForm
  errors?: FieldErrors
}

function WebhooksPage(p: ListProps) {
  return (
    <Layout title="Webhooks" viewer={p.viewer} section="webhooks">
      <h1>Webhooks</h1>
      <Notice message={p.notice} />
      <ErrorNote message={p.actionError} />
      {p.created && <CreatedBox created={p.created} />}
      <p class="muted">
        A webhook posts an alert (JSON, signed with its secret) to a URL of your choice — a chat server, a pager — when one of your deployments ends or an agent
        is lost. Failed deliveries are retried for up to a day.
      </p>
      {p.webhooks.length === 0 ? (
        <p class="empty">{p.paged ? 'No more webhooks.' : 'You have no webhook yet. Create one below.'}</p>
      ) : (
        <div class="table-wrap">
          <table class="list" id="webhooks">
            <caption class="sr-only">Webhooks, newest first</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Alerts</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {p.webhooks.map((hook) => (
                <tr data-id={hook.id}>
                  <th scope="row" class="mono wrap">
                    <a href={path('/webhooks', hook.id)}>{hook.url}</a>
                  </th>
                  <td>{hook.events.join(', ')}</td>
                  <td>
                    <Time iso={hook.created_at} now={p.now} />
                  </td>
                  <td>
                    <div class="inline-actions">
                      <a href={path('/webhooks', hook.id)}>Delivery log</a>
                      <PingForm viewer={p.viewer} hook={hook} />
                      <DeleteForm viewer={p.viewer} hook={hook} />
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager base="/webhooks" paged={p.paged} next={p.next} />
      <NewWebhook viewer={p.viewer} form={p.form} errors={p.errors} />
    </Layout>
  )
}

function CreatedBox({ created }: { created: CreatedWebhook }) {
  return (
    <section class="key-created" aria-labelledby="new-secret-heading" data-island="copy">
      <h2 id="new-secret-heading">New webhook</h2>
      <p class="muted mono wrap">{created.url}</p>
      <p class="warning" role="status">
        <strong>Copy its signing secret now: it will not be shown again.</strong> The receiver checks each delivery’s <code>X-Ground-Console-Signature</code>{' '}
        with it; if it is lost, delete the webhook and create another.
      </p>
      <p class="key-once" id="new-secret" data-secret>
        {created.secret}
      </p>
      <p class="copy-row">
        <button type="button" data-copy-target="new-secret" hidden>
          Copy the secret
        </button>
        <span class="muted" data-copy-state aria-live="polite" />
      </p>
    </section>
  )
}

function PingForm({ viewer, hook }: { viewer: Viewer; hook: Webhook }) {
  return (
    <form method="post" action={`${path('/webhooks', hook.id)}/ping`}>
      <CsrfField viewer={viewer} />
      <button type="submit">
        Send a test
      </button>
    </form>
  )
}

function DeleteForm({ viewer, hook }: { viewer: Viewer; hook: Webhook }) {
  return (
    <details class="confirm">
      <summary>Delete…</summary>
      <form method="post" action={`${path('/webhooks', hook.id)}/delete`} class="stack">
        <CsrfField viewer={viewer} />
        <p>Deleting is final: nothing more is sent to this URL, and its delivery log goes with it.</p>
        <button type="submit" class="danger">
          Delete this webhook
        </button>
      </form>
    </details>
  )
}

function NewWebhook({ viewer, form, errors }: { viewer: Viewer; form?: WebhookForm; errors?: FieldErrors }) {
  const chosen = form ?? { url: '', events: ['deployment.failed', 'agent.lost'] }
  const eventsError = errors?.events
  return (
    <section aria-labelledby="new-webhook-heading" class="narrow">
      <h2 id="new-webhook-heading">New webhook</h2>
      <form method="post" action="/webhooks" class="stack" id="new-webhook-form">
        <CsrfField viewer={viewer} />
        <ErrorNote message={errors?.['']} />
        <TextField
          name="url"
          label="URL"
          type="url"
          value={chosen.url}
          required
          errors={errors}
          hint="http:// or https://, without user:password@. Addresses on your own network are allowed."
        />
        <fieldset class="field" aria-describedby={eventsError ? 'f-events-error' : undefined}>
          <legend>Alerts to send</legend>
          {EVENTS.map(([name, words]) => (
            <label class="choice">
              <input type="checkbox" name={`event.${name}`} value="on" checked={chosen.events.includes(name)} />{' '}
              <span>
                <code>{name}</code> — {words}
              </span>
            </label>
          ))}
          <ErrorNote id="f-events-error" message={eventsError} />
        </fieldset>
        <button type="submit">Create webhook</button>
      </form>
    </section>
  )
}

type LogProps = { viewer: Viewer; now: number; hook: Webhook; deliveries: Delivery[]; next: string | null; paged: boolean; notice?: string; actionError?: string }

/** What a delivery's state says, in words. */
function StateText({ d, now }: { d: Delivery; now: number }) {
  if (d.state === 'delivered')
    return (
      <span class="badge key-active" data-state="delivered">
        <span aria-hidden="true">✓</span> delivered
      </span>
    )
  if (d.state === 'failed')
    return (
      <span class="badge key-revoked" data-state="failed">
        <span aria-hidden="true">✗</span> given up
      </span>
    )
  return (
    <>
      <span class="badge" data-state="pending">
        <span aria-hidden="true">…</span> pending
      </span>{' '}
      {d.next_attempt_at && (
        <span class="muted">
          next try <Time iso={d.next_attempt_at} now={now} />
        </span>
      )}
    </>
  )
}

function DeliveryLogPage(p: LogProps) {
  return (
    <Layout title="Webhook deliveries" viewer={p.viewer} section="webhooks">
      <p>
        <a href="/webhooks">← Webhooks</a>
      </p>
      <h1>Delivery log</h1>
      <Notice message={p.notice} />
      <ErrorNote message={p.actionError} />
      <p class="mono wrap">{p.hook.url}</p>
      <p class="muted">{`Alerts: ${p.hook.events.join(', ')}. Delivered and given-up deliveries are kept for 7 days.`}</p>
      <PingForm viewer={p.viewer} hook={p.hook} />
      {p.deliveries.length === 0 ? (
        <p class="empty">{p.paged ? 'No older deliveries.' : 'Nothing has been sent to this webhook yet.'}</p>
      ) : (
        <div class="table-wrap">
          <table class="list" id="deliveries">
            <caption class="sr-only">Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Alert</th>
                <th scope="col">Made</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last attempt</th>
                <th scope="col">Id</th>
              </tr>
            </thead>
            <tbody>
              {p.deliveries.map((d) => (
                <tr data-id={d.id} data-state={d.state}>
                  <th scope="row">
                    <code>{d.event}</code>
                  </th>
                  <td>
                    <Time iso={d.created_at} now={p.now} />
                  </td>
                  <td>
                    <StateText d={d} now={p.now} />
                  </td>
                  <td>{d.attempts}</td>
                  <td>
                    {d.last_attempt_at ? (
                      <>
                        <Time iso={d.last_attempt_at} now={p.now} />
                        {d.last_status !== null ? ` — HTTP ${d.last_status}` : ''}
                        {d.last_error ? ` — ${d.last_error}` : ''}
                      </>
                    ) : (
                      <span class="muted">not tried yet</span>
                    )}
                  </td>
                  <td class="mono">{d.id}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager base={path('/webhooks', p.hook.id)} paged={p.paged} next={p.next} />
    </Layout>
  )
}

async function renderList(ctx: ConsoleContext, extra: Partial<ListProps> = {}, status = 200): Promise<Response> {
  const cursor = ctx.url.searchParams.get('cursor')
  const list = await read<{ webhooks: Webhook[]; next_cursor?: string }>(ctx, `/api/webhooks${query({ limit: WEBHOOK_PAGE, cursor })}`)
  const props: ListProps = {
    viewer: ctx.viewer,
    now: ctx.now,
    webhooks: list.webhooks,
    next: list.next_cursor ?? null,
    paged: cursor !== null,
    notice: ctx.url.searchParams.get('deleted') ? 'Webhook deleted: nothing more is sent to it.' : undefined,
    ...extra,
  }
  // Every console page is no-store (src/console/html.tsx); this one says it again, as it may hold a secret.
  return htmlPage(<WebhooksPage {...props} />, { status, headers: { 'cache-control': 'no-store' } })
}

async function renderLog(ctx: ConsoleContext, extra: Partial<LogProps> = {}, status = 200): Promise<Response> {
  const id = ctx.params.id!
  const cursor = ctx.url.searchParams.get('cursor')
  const hook = await read<Webhook>(ctx, path('/api/webhooks', id))
  const log = await read<{ deliveries: Delivery[]; next_cursor?: string }>(ctx, `${path('/api/webhooks', id)}/deliveries${query({ limit: DELIVERY_PAGE, cursor })}`)
  const props: LogProps = {
    viewer: ctx.viewer,
    now: ctx.now,
    hook,
    deliveries: log.deliveries,
    next: log.next_cursor ?? null,
    paged: cursor !== null,
    notice: ctx.url.searchParams.get('pinged') ? 'A test delivery (ping) is on its way: reload to see how it went.' : undefined,
    ...extra,
  }
  return htmlPage(<DeliveryLogPage {...props} />, { status })
}

async function createWebhook(ctx: ConsoleContext): Promise<Response> {
  // One checkbox per alert, each its own field (the console refuses a field given twice: src/console/index.tsx).
  const form = { url: field(ctx.form, 'url'), events: EVENTS.map(([name]) => name).filter((name) => field(ctx.form, `event.${name}`) !== '') }
  if (form.events.length === 0) return renderList(ctx, { form, errors: { events: 'Choose at least one alert.' } }, 400)
  const reply = await send<CreatedWebhook>(ctx, 'POST', '/api/webhooks', form)
  // The page itself, not a redirect: the secret exists only in this response.
  if (reply.ok) return renderList(ctx, { created: reply.body })
  return renderList(ctx, { form, errors: fieldErrors(reply) }, reply.status)
}

async function deleteWebhook(ctx: ConsoleContext): Promise<Response> {
  const reply = await send(ctx, 'DELETE', path('/api/webhooks', ctx.params.id!))
  if (reply.ok) return seeOther(`/webhooks${query({ deleted: 1 })}`)
  return renderList(ctx, { actionError: `The webhook could not be deleted: ${errorText(reply)}.` }, reply.status)
}

async function pingWebhook(ctx: ConsoleContext): Promise<Response> {
  const id = ctx.params.id!
  const reply = await send(ctx, 'POST', `${path('/api/webhooks', id)}/ping`)
  if (reply.ok) return seeOther(`${path('/webhooks', id)}${query({ pinged: 1 })}`)
  return renderList(ctx, { actionError: `The test could not be sent: ${errorText(reply)}.` }, reply.status)
}

export const webhookPages: ConsoleRoute[] = [
  { method: 'GET', path: '/webhooks', section: 'webhooks', handle: (ctx) => renderList(ctx) },
  { method: 'POST', path: '/webhooks', section: 'webhooks', handle: createWebhook },
  { method: 'GET', path: '/webhooks/:id', section: 'webhooks', handle: (ctx) => renderLog(ctx) },
  { method: 'POST', path: '/webhooks/:id/delete', section: 'webhooks', handle: deleteWebhook },
  { method: 'POST', path: '/webhooks/:id/ping', section: 'webhooks', handle: pingWebhook },
]
