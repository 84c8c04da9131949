/** @jsxImportSource preact */
// The deployment page (`/deployments/{id}`, docs/console.md "Deployment page and timeline"): status and
// facts, the timeline chart, the events table with filters and paging, and the cancel confirmation. All
// of it from the JSON API; the deployment island keeps it live from the events stream.
import { Pager, Time } from '../components/common'
import { DeploymentSummary, isTerminal, type EventFilters } from '../components/deployment-summary'
import type { DeploymentItem } from '../components/deployment-table'
import { EventsBlock, forIsland, type EventItem } from '../components/event-table'
import { TimelineLegend } from '../components/timeline'
import { buildTimeline, timelineEventOf, type TimelineEvent } from '../components/timeline-model'
import { TimelinePanel } from '../components/timeline-panel'
import { fitView } from '../components/timeline-view'
import { CsrfField, ErrorNote, htmlPage, IslandData, Layout, Notice, seeOther, type Viewer } from '../html'
import { errorField, errorText, PageError, read, send, type ConsoleContext, type ConsoleRoute } from '../kit'
import { path, query } from '../paths'

/** The timeline reads at most this many events (the first, in mission order); the page says when there are more. */
export const TIMELINE_MAX = 5000
/** Rows per page of the events table. */
export const EVENTS_PAGE = 50

type EventPage = { events: EventItem[]; total: number; next_cursor?: string }

/** What the deployment island starts from (client/deployment.tsx). */
export type DeploymentIslandData = {
  deployment: DeploymentItem
  /** The timeline's events, cut down to what it reads. */
  events: TimelineEvent[]
  /** The stream's resume point: the deployment's event count read before the events (docs/console.md). */
  after: number
  truncated: boolean
  table: { items: EventItem[]; total: number; filters: EventFilters; last: boolean; paged: boolean; limit: number }
}

const eventsPath = (id: string) => path('/api/deployments', id, 'events')

/**
 * At most this many of a user's pages load their timeline at once: each holds up to 500 events with their
 * payloads (up to 64 KiB each) while it reads. That user's other pages wait their turn; other users'
 * pages do not wait for them (docs/console.md).
 */
export const TIMELINE_READERS = 2
const timelineReaders = new Map<string, ReturnType<typeof createGate>>()

function readerGate(userId: string) {
  let gate = timelineReaders.get(userId)
  if (!gate) timelineReaders.set(userId, (gate = createGate(TIMELINE_READERS, () => timelineReaders.delete(userId))))
  return gate
}

/**
 * Every event up to TIMELINE_MAX, page after page of 500 along the cursor, each page cut down to what the
 * timeline and the filters use as soon as it is read, so that big payloads are not kept.
 */
async function readTimelineEvents(ctx: ConsoleContext, id: string): Promise<{ events: TimelineEvent[]; truncated: boolean }> {
  return readerGate(ctx.viewer.id).run(async () => {
    const events: TimelineEvent[] = []
    let cursor: string | undefined
    for (;;) {
      const page = await read<EventPage>(ctx, `${eventsPath(id)}${query({ limit: 500, cursor })}`)
      for (const event of page.events) if (events.length < TIMELINE_MAX) events.push(timelineEventOf(event))
      if (!page.next_cursor) return { events, truncated: false }
      if (events.length >= TIMELINE_MAX) return { events, truncated: true }
      cursor = page.next_cursor
    }
  })
}

/** At most `size` runs at once; the rest wait in order. `idle` is called when the last one ends. */
function createGate(size: number, idle: () => void) {
  let running = 0
  const waiting: (() => void)[] = []
  return {
    async run<T>(work: () => Promise<T>): Promise<T> {
      if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve))
      else running++
      try {
        return await work()
      } finally {
        const next = waiting.shift()
        if (next) next()
        else if (--running === 0) idle()
      }
    },
  }
}

function filtersOf(url: URL): EventFilters {
  return { type: url.searchParams.get('type') ?? '', step_id: url.searchParams.get('step_id') ?? '' }
}

/** The type filter's choices: each family as a prefix (`transfer.*`), then its types. */
function typeChoices(events: TimelineEvent[], current: string): string[] {
  const families = new Map<string, Set<string>>()
  for (const e of events) {
    if (typeof e.event_type !== 'string') continue
    const family = e.event_type.slice(0, e.event_type.lastIndexOf('.'))
    if (!families.has(family)) families.set(family, new Set())
    families.get(family)!.add(e.event_type)
  }
  const choices = [...families.keys()].sort().flatMap((family) => [`${family}.*`, ...[...families.get(family)!].sort()])
  return current === '' || choices.includes(current) ? choices : [current, ...choices]
}

function stepChoices(events: TimelineEvent[], current: string): string[] {
  const steps = [...new Set(events.flatMap((e) => (typeof e.step_id === 'string' ? [e.step_id] : [])))]
  return current === '' || steps.includes(current) ? steps : [current, ...steps]
}

type PageProps = {
  viewer: Viewer
  now: number
  d: DeploymentItem
  timeline: { events: TimelineEvent[]; truncated: boolean }
  after: number
  filters: EventFilters
  cursor: string | null
  table: { items: EventItem[]; total: number; next: string | null } | null
  tableError: { field: string; message: string } | null
  notice?: string
}

function DeploymentPage(p: PageProps) {
  const { d, filters } = p
  const model = buildTimeline(p.timeline.events, { final: isTerminal(d.status), truncated: p.timeline.truncated })
  const view = fitView(model.extent)
  const here = path('/deployments', d.id)
  const filtered = filters.type !== '' || filters.step_id !== ''
  const data: DeploymentIslandData = {
    deployment: d,
    events: p.timeline.events,
    after: p.after,
    truncated: p.timeline.truncated,
    table: { items: forIsland(p.table?.items ?? []), total: p.table?.total ?? 0, filters, last: p.table !== null && p.table.next === null, paged: p.cursor !== null, limit: EVENTS_PAGE },
  }
  const error = (field: string) => (p.tableError && p.tableError.field === field ? p.tableError.message : null)
  const otherError = p.tableError && !['type', 'step_id'].includes(p.tableError.field) ? p.tableError.message : null
  return (
    <Layout title={`Deployment ${d.id}`} viewer={p.viewer} section="deployments">
      <p class="crumbs">
        <a href="/">Deployments</a> /
      </p>
      <h1>
        Deployment <span class="mono">{d.id}</span>
      </h1>
      <Notice message={p.notice} />
      <div data-island="deployment">
        <IslandData id="deployment-data" value={data} />
        <p class="live-note muted" aria-live="polite" data-live-state>
          {isTerminal(d.status) ? 'This deployment has ended.' : 'Updates live while this page is open (with JavaScript).'}
        </p>
        <div data-summary>
          <DeploymentSummary d={d} now={p.now} filters={filters} />
        </div>
        <ArchiveForm viewer={p.viewer} d={d} now={p.now} />
        <section aria-labelledby="timeline-heading">
          <h2 id="timeline-heading">Timeline</h2>
          <div data-timeline>
            <TimelinePanel model={model} view={view} mode="fit" truncated={p.timeline.truncated ? { drawn: p.timeline.events.length, total: d.event_count } : null} />
          </div>
          <TimelineLegend />
        </section>
        <section aria-labelledby="events-heading">
          <h2 id="events-heading">Events</h2>
          <form method="get" action={here} class="filters" aria-label="Filter events">
            <div class="field">
              <label for="filter-type">Type</label>
              <select id="filter-type" name="type" aria-invalid={error('type') ? 'true' : undefined} aria-describedby={error('type') ? 'filter-type-error' : undefined}>
                <option value="">any</option>
                {typeChoices(p.timeline.events, filters.type).map((t) => (
                  <option value={t} selected={t === filters.type}>
                    {t.endsWith('.*') ? `${t} (all ${t.slice(0, -2)} events)` : t}
                  </option>
                ))}
              </select>
              <ErrorNote id="filter-type-error" message={error('type')} />
            </div>
            <div class="field">
              <label for="filter-step">Step</label>
              <select id="filter-step" name="step_id" aria-invalid={error('step_id') ? 'true' : undefined} aria-describedby={error('step_id') ? 'filter-step-error' : undefined}>
                <option value="">any</option>
                {stepChoices(p.timeline.events, filters.step_id).map((s) => (
                  <option value={s} selected={s === filters.step_id}>
                    {s}
                  </option>
                ))}
              </select>
              <ErrorNote id="filter-step-error" message={error('step_id')} />
            </div>
            <button type="submit">Filter</button>
            {filtered && <a href={here}>Clear filters</a>}
          </form>
          <ErrorNote message={otherError} />
          {p.table && (
            <>
              <div data-events>
                <EventsBlock items={p.table.items} total={p.table.total} originMs={model.originMs} filtered={filtered} paged={p.cursor !== null} />
              </div>
              <p class="muted" data-events-more hidden>
                More events have arrived after this page: <a href={`${here}${query({ ...filters, cursor: p.cursor })}`}>reload it</a> to page on.
              </p>
              <Pager base={here} params={filters} paged={Boolean(p.cursor)} next={p.table.next} label="Event pages" firstText="← First page" nextText="Next page →" />
            </>
          )}
        </section>
      </div>
    </Layout>
  )
}

/**
 * Archive or restore (docs/console.md "Archiving"): a finished deployment only; not destructive (its events
 * stay, it is restored in one click), so no confirmation. Outside the live summary: a form needs the CSRF token.
 */
function ArchiveForm({ viewer, d, now }: { viewer: Viewer; d: DeploymentItem; now: number }) {
  if (!isTerminal(d.status) && !d.archived_at) return null
  const archived = Boolean(d.archived_at)
  return (
    <form method="post" action={path('/deployments', d.id, archived ? 'unarchive' : 'archive')} class="inline-actions" data-archive-form>
      <CsrfField viewer={viewer} />
      {archived ? (
        <p class="muted" data-archived="true">
          Archived <Time iso={d.archived_at} now={now} />: hidden from the deployments list unless you ask for archived ones.
        </p>
      ) : (
        <p class="muted">Archiving hides it from the deployments list; its events are kept and it can be restored.</p>
      )}
      <button type="submit">{archived ? 'Restore from the archive' : 'Archive deployment'}</button>
    </form>
  )
}

async function renderDeployment(ctx: ConsoleContext): Promise<Response> {
  const id = ctx.params.id!
  // The count first: every event up to it is then in the lists read after it, so the island's stream
  // resumes after it without a gap (docs/console.md "Deployment page and timeline").
  const d = await read<DeploymentItem>(ctx, path('/api/deployments', id))
  const filters = filtersOf(ctx.url)
  const cursor = ctx.url.searchParams.get('cursor') || null
  const [timeline, list] = await Promise.all([
    readTimelineEvents(ctx, id),
    send<EventPage>(ctx, 'GET', `${eventsPath(id)}${query({ limit: EVENTS_PAGE, type: filters.type, step_id: filters.step_id, cursor })}`),
  ])
  if (!list.ok && list.status !== 400) throw new PageError(list.status, errorText(list))
  const props: PageProps = {
    viewer: ctx.viewer,
    now: ctx.now,
    d,
    timeline,
    after: d.event_count,
    filters,
    cursor,
    table: list.ok ? { items: list.body.events, total: list.body.total, next: list.body.next_cursor ?? null } : null,
    tableError: list.ok ? null : { field: errorField(list), message: errorText(list) },
    notice:
      ctx.url.searchParams.get('cancelled') === '1' && d.status === 'cancelled'
        ? 'Deployment cancelled.'
        : ctx.url.searchParams.get('archived') === '1' && d.archived_at
          ? 'Deployment archived.'
          : ctx.url.searchParams.get('restored') === '1' && !d.archived_at
            ? 'Deployment restored from the archive.'
            : undefined,
  }
  return htmlPage(<DeploymentPage {...props} />, { status: list.ok ? 200 : list.status })
}

function CancelPage({ viewer, d, error }: { viewer: Viewer; d: DeploymentItem; error?: string }) {
  const back = path('/deployments', d.id)
  const ended = isTerminal(d.status)
  return (
    <Layout title={`Cancel deployment ${d.id}`} viewer={viewer} section="deployments">
      <h1>
        Cancel deployment <span class="mono">{d.id}</span>?
      </h1>
      <ErrorNote message={error} />
      {ended || error ? (
        <>
          {!error && <p>{`This deployment is already ${d.status}: there is nothing to cancel.`}</p>}
          <p>
            <a href={back}>Back to the deployment</a>
          </p>
        </>
      ) : (
        <>
          <p>
            {`${d.mission_name} · ${d.plan_label}, ${d.mode}, now ${d.status}. `}
            {d.mode === 'simulated' ? 'Cancelling stops the replay.' : 'Cancelling means no agent is given it any more; reports that still come are stored but change nothing.'}{' '}
            It cannot be undone.
          </p>
          <form method="post" action={path('/deployments', d.id, 'cancel')} class="inline-actions">
            <CsrfField viewer={viewer} />
            <button type="submit" class="danger">
              Cancel deployment
            </button>
            <a href={back}>Keep it</a>
          </form>
        </>
      )}
    </Layout>
  )
}

export const deploymentPage: ConsoleRoute[] = [
  { method: 'GET', path: '/deployments/:id', handle: renderDeployment },
  {
    method: 'GET',
    path: '/deployments/:id/cancel',
    async handle(ctx) {
      const d = await read<DeploymentItem>(ctx, path('/api/deployments', ctx.params.id!))
      return htmlPage(<CancelPage viewer={ctx.viewer} d={d} />)
    },
  },
  {
    method: 'POST',
    path: '/deployments/:id/archive',
    handle: (ctx) => setArchived(ctx, true),
  },
  {
    method: 'POST',
    path: '/deployments/:id/unarchive',
    handle: (ctx) => setArchived(ctx, false),
  },
  {
    method: 'POST',
    path: '/deployments/:id/cancel',
    async handle(ctx) {
      const id = ctx.params.id!
      const reply = await send(ctx, 'POST', `${path('/api/deployments', id)}/cancel`)
      if (reply.ok) return seeOther(`${path('/deployments', id)}?cancelled=1`)
      if (reply.status !== 409) throw new PageError(reply.status, errorText(reply))
      const d = await read<DeploymentItem>(ctx, path('/api/deployments', id))
      return htmlPage(<CancelPage viewer={ctx.viewer} d={d} error={errorText(reply)} />, { status: 409 })
    },
  },
]

/** The archive form's answer: back to the deployment with a notice, or the API's refusal (409: not finished) in words there. */
async function setArchived(ctx: ConsoleContext, archive: boolean): Promise<Response> {
  const id = ctx.params.id!
  const reply = await send(ctx, 'POST', `${path('/api/deployments', id)}/${archive ? 'archive' : 'unarchive'}`)
  if (reply.ok) return seeOther(`${path('/deployments', id)}?${archive ? 'archived' : 'restored'}=1`)
  throw new PageError(reply.status, errorText(reply))
}
