/** @jsxImportSource preact */
// The deployments page (`/`): the caller's deployments with filters, kept current from the deployments
// stream, and the form that starts one from a plan.
import { DeploymentTable, type DeploymentItem } from '../components/deployment-table'
import { STATUSES, Pager } from '../components/common'
import { CsrfField, htmlPage, IslandData, Layout, seeOther, type Viewer } from '../html'
import { field, fieldErrors, read, send, type ConsoleContext, type ConsoleRoute, type FieldErrors } from '../kit'
import { path, query } from '../paths'

export const MODES = ['simulated', 'live'] as const

/** A decimal number: digits, an optional fraction and exponent (no hexadecimal, no `Infinity`). */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

type Filters = { status: string; mission_id: string; mode: string; archived: string }
/** The list's archive filter (docs/lists.md "Archived") as the page offers it; '' is the API's default, hidden. */
export const ARCHIVED_CHOICES = [
  ['', 'hidden'],
  ['include', 'shown with the others'],
  ['only', 'only archived'],
] as const
type Mission = { id: string; name: string }
type Plan = { id: string; label: string; mission_id: string; satellite_id: string; event_count: number }

function filtersOf(url: URL): Filters {
  return {
    status: url.searchParams.get('status') ?? '',
    mission_id: url.searchParams.get('mission_id') ?? '',
    mode: url.searchParams.get('mode') ?? '',
    archived: url.searchParams.get('archived') ?? '',
  }
}

type PageProps = {
  viewer: Viewer
  now: number
  filters: Filters
  items: DeploymentItem[]
  next: string | null
  paged: boolean
  missions: Mission[]
  plans: Plan[]
  listError?: string
  form?: { plan_id: string; mode: string; speed_multiplier: string }
  errors?: FieldErrors
}

function DeploymentsPage(p: PageProps) {
  const { filters } = p
  const statusChoices = STATUSES.includes(filters.status as never) || filters.status === '' ? STATUSES : [filters.status, ...STATUSES]
  return (
    <Layout title="Deployments" viewer={p.viewer} section="deployments">
      <h1>Deployments</h1>
      <form method="get" action="/" class="filters" aria-label="Filter deployments">
        <div class="field">
          <label for="filter-status">Status</label>
          <select id="filter-status" name="status">
            <option value="">any</option>
            {statusChoices.map((s) => (
              <option value={s} selected={s === filters.status}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-mission">Mission</label>
          <select id="filter-mission" name="mission_id">
            <option value="">any</option>
            {p.missions.map((m) => (
              <option value={m.id} selected={m.id === filters.mission_id}>
                {m.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-mode">Mode</label>
          <select id="filter-mode" name="mode">
            <option value="">any</option>
            {MODES.map((m) => (
              <option value={m} selected={m === filters.mode}>
                {m}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-archived">Archived</label>
          <select id="filter-archived" name="archived">
            {ARCHIVED_CHOICES.map(([value, text]) => (
              <option value={value} selected={value === filters.archived}>
                {text}
              </option>
            ))}
            {!ARCHIVED_CHOICES.some(([value]) => value === filters.archived) && (
              <option value={filters.archived} selected>
                {filters.archived}
              </option>
            )}
          </select>
        </div>
        <button type="submit">Filter</button>
        {(filters.status || filters.mission_id || filters.mode || filters.archived) && <a href="/">Clear filters</a>}
      </form>
      {p.listError ? (
        <p class="error" role="alert">
          {p.listError}
        </p>
      ) : (
        <div data-island="deployments" data-live={p.paged ? undefined : 'on'}>
          <IslandData id="deployments-data" value={{ items: p.items, filters }} />
          <p class="live-note muted" aria-live="polite" data-live-state>
            {p.paged ? 'An older page: not updated live.' : 'Updates live while this page is open (with JavaScript).'}
          </p>
          <div data-table>
            <DeploymentTable items={p.items} now={p.now} />
          </div>
        </div>
      )}
      <Pager base="/" params={filters} paged={p.paged} next={p.next} />
      <NewDeployment viewer={p.viewer} plans={p.plans} form={p.form} errors={p.errors} />
    </Layout>
  )
}

function NewDeployment({ viewer, plans, form, errors }: { viewer: Viewer; plans: Plan[]; form?: PageProps['form']; errors?: FieldErrors }) {
  const chosen = form ?? { plan_id: '', mode: 'simulated', speed_multiplier: '100' }
  return (
    <section aria-labelledby="new-deployment">
      <h2 id="new-deployment">New deployment</h2>
      {plans.length === 0 ? (
        <p>
          There is no plan yet. <a href="/missions">Create a mission and a plan</a> first.
        </p>
      ) : (
        <form method="post" action="/deployments" class="stack" id="new-deployment-form">
          <CsrfField viewer={viewer} />
          {errors?.[''] && (
            <p class="error" role="alert">
              {errors['']}
            </p>
          )}
          <div class="field">
            <label for="f-plan_id">Plan</label>
            <select id="f-plan_id" name="plan_id" required aria-describedby={errors?.plan_id ? 'f-plan_id-error' : undefined}>
              {plans.map((plan) => (
                <option value={plan.id} selected={plan.id === chosen.plan_id}>
                  {`${plan.label} — satellite ${plan.satellite_id}, ${plan.event_count} events`}
                </option>
              ))}
            </select>
            {errors?.plan_id && (
              <p class="error" role="alert" id="f-plan_id-error">
                {errors.plan_id}
              </p>
            )}
          </div>
          <fieldset class="field">
            <legend>Mode</legend>
            {MODES.map((mode) => (
              <label class="choice">
                <input type="radio" name="mode" value={mode} checked={mode === chosen.mode} />{' '}
                {mode === 'simulated' ? 'Simulated: the server plays the plan' : 'Live: an agent polls for it and reports'}
              </label>
            ))}
            {errors?.mode && (
              <p class="error" role="alert">
                {errors.mode}
              </p>
            )}
          </fieldset>
          <div class="field">
            <label for="f-speed_multiplier">Speed (simulated: mission seconds per wall second)</label>
            <input
              id="f-speed_multiplier"
              name="speed_multiplier"
              type="number"
              min="0"
              max="10000"
              step="any"
              value={chosen.speed_multiplier}
              aria-describedby={errors?.speed_multiplier ? 'f-speed_multiplier-error' : undefined}
            />
            {errors?.speed_multiplier && (
              <p class="error" role="alert" id="f-speed_multiplier-error">
                {errors.speed_multiplier}
              </p>
            )}
          </div>
          <button type="submit">Start deployment</button>
        </form>
      )}
    </section>
  )
}

async function renderList(ctx: ConsoleContext, extra: Pick<PageProps, 'form' | 'errors'> = {}, status = 200): Promise<Response> {
  const filters = filtersOf(ctx.url)
  const cursor = ctx.url.searchParams.get('cursor')
  const [list, missions, plans] = await Promise.all([
    send(ctx, 'GET', `/api/deployments${query({ ...filters, cursor })}`),
    read<{ missions: Mission[] }>(ctx, '/api/missions?limit=500'),
    read<{ plans: Plan[] }>(ctx, '/api/plans?limit=500'),
  ])
  const props: PageProps = {
    viewer: ctx.viewer,
    now: ctx.now,
    filters,
    items: list.ok ? list.body.deployments : [],
    next: list.ok ? (list.body.next_cursor ?? null) : null,
    paged: cursor !== null,
    missions: missions.missions,
    plans: plans.plans,
    listError: list.ok ? undefined : (list.body?.error ?? 'the list could not be read'),
    ...extra,
  }
  return htmlPage(<DeploymentsPage {...props} />, { status: list.ok ? status : list.status })
}

export const deploymentListRoutes: ConsoleRoute[] = [
  { method: 'GET', path: '/', handle: (ctx) => renderList(ctx) },
  {
    method: 'POST',
    path: '/deployments',
    async handle(ctx) {
      const form = { plan_id: field(ctx.form, 'plan_id'), mode: field(ctx.form, 'mode') || 'simulated', speed_multiplier: field(ctx.form, 'speed_multiplier') }
      const body: Record<string, unknown> = { plan_id: form.plan_id, mode: form.mode }
      if (form.speed_multiplier.trim() !== '') {
        // A decimal number as a person types it: Number() alone would also take `0x10` or `0b1`.
        const text = form.speed_multiplier.trim()
        if (!DECIMAL.test(text)) return renderList(ctx, { form, errors: { speed_multiplier: 'speed_multiplier: must be a decimal number, like 100 or 2.5' } }, 400)
        body.speed_multiplier = Number(text)
      }
      const reply = await send(ctx, 'POST', '/api/deployments', body)
      if (reply.ok) return seeOther(path('/deployments', reply.body.id))
      return renderList(ctx, { form, errors: fieldErrors(reply) }, reply.status)
    },
  },
]

