/** @jsxImportSource preact */
// Missions and plans (`/missions`, `/plans/{id}`): the caller's missions with their plans, creating a
// mission, creating a plan from an uploaded JSON file or from the built-in example plan, and one plan's
// events with the form that starts a deployment of it (docs/console.md "Missions and plans").
import type { ComponentChildren } from 'preact'
import type { ApiReply } from '../api'
import examplePlan from '../../examples/onboard-ml-inference.json'
import { fieldsSummary, JsonDetails, Pager, Time } from '../components/common'
import { clock } from '../format'
import { CsrfField, ErrorNote, htmlPage, Layout, Notice, seeOther, type Viewer } from '../html'
import { errorText, field, fieldErrors, PageError, read, send, TextField, type ConsoleContext, type ConsoleRoute, type FieldErrors } from '../kit'
import { path, query } from '../paths'
import { planDefaults, planError, readPlanFile } from '../plan-file'
import { MODES } from './deployments'

/** Missions per page; each costs one read of its plans. */
export const MISSION_PAGE = 20
/** Plans shown per mission, newest first. */
export const PLANS_PER_MISSION = 100

export const EXAMPLE_PLAN: Record<string, unknown> = examplePlan
const EXAMPLE = planDefaults(EXAMPLE_PLAN)
const EXAMPLE_EVENTS = (EXAMPLE_PLAN.events as unknown[]).length

type Mission = { id: string; name: string; description: string | null; created_at: string }
type Plan = {
  id: string
  mission_id: string
  label: string
  satellite_id: string
  satellite_name: string | null
  preset: string | null
  event_count: number
  created_at: string
  /** Set while archived (docs/api.md §5 "Archiving a plan"). */
  archived_at: string | null
}
type PlanWithData = Plan & { plan_data: unknown }
type MissionPlans = { plans: Plan[]; more: boolean } | { error: string }

type MissionForm = { name: string; description: string }
type PlanForm = { mission_id: string; label: string; satellite_id: string; satellite_name: string; preset: string; plan_source: 'file' | 'example' }

type PageProps = {
  viewer: Viewer
  now: number
  missions: Mission[]
  plans: Map<string, MissionPlans>
  /** Every mission, for the plan form's choice. */
  choices: Mission[]
  next: string | null
  paged: boolean
  /** Archived plans are listed too (`?archived=include`; docs/console.md "Archiving"). */
  showArchived: boolean
  notice?: string
  missionForm?: MissionForm
  missionErrors?: FieldErrors
  planForm?: PlanForm
  planErrors?: FieldErrors
}

const missionAnchor = (id: string) => `mission-${id}`

function MissionsPage(p: PageProps) {
  return (
    <Layout title="Missions and plans" viewer={p.viewer} section="missions">
      <h1>Missions and plans</h1>
      <p>
        <a href="#new-mission">New mission</a> · <a href="#new-plan">New plan</a> ·{' '}
        {p.showArchived ? <a href="/missions">Hide archived plans</a> : <a href="/missions?archived=include">Show archived plans</a>}
      </p>
      <Notice message={p.notice} />
      {p.missions.length === 0 ? (
        <p class="empty">{p.paged ? 'No more missions.' : 'There is no mission yet. Create one below, then add its plans.'}</p>
      ) : (
        <div class="missions">
          {p.missions.map((mission) => (
            <MissionCard mission={mission} plans={p.plans.get(mission.id)} now={p.now} />
          ))}
        </div>
      )}
      <Pager base="/missions" params={p.showArchived ? { archived: 'include' } : {}} paged={p.paged} next={p.next} firstText="← Newest missions" nextText="Older missions →" />
      <div class="forms">
        <NewMission viewer={p.viewer} form={p.missionForm} errors={p.missionErrors} />
        <NewPlan viewer={p.viewer} missions={p.choices} form={p.planForm} errors={p.planErrors} />
      </div>
    </Layout>
  )
}

function MissionCard({ mission, plans, now }: { mission: Mission; plans: MissionPlans | undefined; now: number }) {
  const headingId = `${missionAnchor(mission.id)}-name`
  return (
    <section class="mission" id={missionAnchor(mission.id)} aria-labelledby={headingId} data-id={mission.id}>
      <h2 id={headingId}>{mission.name}</h2>
      {mission.description && <p class="description">{mission.description}</p>}
      <p class="muted">
        Created <Time iso={mission.created_at} now={now} /> · <span class="mono">{mission.id}</span>
      </p>
      {!plans || 'error' in plans ? (
        <ErrorNote message={plans && 'error' in plans ? `The plans could not be read: ${plans.error}` : 'The plans could not be read.'} />
      ) : plans.plans.length === 0 ? (
        <p class="muted">No plans yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="list plans">
            <caption class="sr-only">{`Plans of ${mission.name}, newest first`}</caption>
            <thead>
              <tr>
                <th scope="col">Plan</th>
                <th scope="col">Satellite</th>
                <th scope="col">Preset</th>
                <th scope="col" class="num">Events</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {plans.plans.map((plan) => (
                <tr data-id={plan.id}>
                  <th scope="row">
                    <a href={path('/plans', plan.id)}>{plan.label}</a>
                    {plan.archived_at && (
                      <>
                        {' '}
                        <span class="badge archived" data-archived="true">
                          archived
                        </span>
                      </>
                    )}
                  </th>
                  <td>
                    <span class="mono">{plan.satellite_id}</span>
                    {plan.satellite_name && <span class="sat-name">{plan.satellite_name}</span>}
                  </td>
                  <td>{plan.preset ?? <span class="muted">—</span>}</td>
                  <td class="num">{plan.event_count}</td>
                  <td>
                    <Time iso={plan.created_at} now={now} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {plans && 'more' in plans && plans.more && <p class="muted">{`The newest ${PLANS_PER_MISSION} plans of this mission are shown.`}</p>}
      <p>
        <a href={`/missions${query({ mission_id: mission.id })}#new-plan`}>Add a plan to this mission</a>
      </p>
    </section>
  )
}

function FormError({ errors }: { errors?: FieldErrors }) {
  return <ErrorNote message={errors?.['']} />
}

function NewMission({ viewer, form, errors }: { viewer: Viewer; form?: MissionForm; errors?: FieldErrors }) {
  const descriptionError = errors?.description
  return (
    <section aria-labelledby="new-mission" class="narrow">
      <h2 id="new-mission">New mission</h2>
      <form method="post" action="/missions" class="stack" id="new-mission-form">
        <CsrfField viewer={viewer} />
        <FormError errors={errors} />
        <TextField name="name" label="Name" value={form?.name} required errors={errors} />
        <div class="field">
          <label for="f-description">Description (optional)</label>
          <textarea id="f-description" name="description" rows={3} aria-invalid={descriptionError ? 'true' : undefined} aria-describedby={descriptionError ? 'f-description-error' : undefined}
            value={form?.description ?? ''}
          />
          <ErrorNote id="f-description-error" message={descriptionError} />
        </div>
        <button type="submit">Create mission</button>
      </form>
    </section>
  )
}

function Choice({ children, ...input }: { name: string; value: string; checked: boolean; id: string; children: ComponentChildren }) {
  return (
    <label class="choice" for={input.id}>
      <input type="radio" {...input} /> <span>{children}</span>
    </label>
  )
}

function NewPlan({ viewer, missions, form, errors }: { viewer: Viewer; missions: Mission[]; form?: PlanForm; errors?: FieldErrors }) {
  const chosen = form ?? { mission_id: '', label: '', satellite_id: '', satellite_name: '', preset: '', plan_source: 'file' as const }
  const fileError = errors?.plan_file
  const missionError = errors?.mission_id
  return (
    <section aria-labelledby="new-plan" class="narrow">
      <h2 id="new-plan">New plan</h2>
      {missions.length === 0 ? (
        <p>A plan belongs to a mission: create a mission first.</p>
      ) : (
        <form method="post" action="/plans" enctype="multipart/form-data" class="stack" id="new-plan-form">
          <CsrfField viewer={viewer} />
          <FormError errors={errors} />
          <div class="field">
            <label for="f-mission_id">Mission</label>
            <select id="f-mission_id" name="mission_id" required aria-invalid={missionError ? 'true' : undefined} aria-describedby={missionError ? 'f-mission_id-error' : undefined}>
              {missions.map((m) => (
                <option value={m.id} selected={m.id === chosen.mission_id}>
                  {m.name}
                </option>
              ))}
            </select>
            <ErrorNote id="f-mission_id-error" message={missionError} />
          </div>
          <fieldset class="field" aria-describedby={fileError ? 'f-plan_file-error' : undefined}>
            <legend>The plan’s events</legend>
            <Choice name="plan_source" value="file" id="f-plan_source-file" checked={chosen.plan_source !== 'example'}>
              Upload a plan file (the planner’s JSON output)
            </Choice>
            <div class="field indent">
              <label for="f-plan_file">Plan file</label>
              <input
                id="f-plan_file"
                name="plan_file"
                type="file"
                accept="application/json,.json"
                aria-invalid={fileError ? 'true' : undefined}
                aria-describedby={['f-plan_file-hint', fileError ? 'f-plan_file-error' : ''].filter(Boolean).join(' ')}
              />
              <small class="hint" id="f-plan_file-hint">
                A JSON object with an <code>events</code> array, at most 1 MiB.{form ? ' Choose the file again after an error.' : ''}
              </small>
            </div>
            <Choice name="plan_source" value="example" id="f-plan_source-example" checked={chosen.plan_source === 'example'}>
              {`Start from the built-in example plan: ${EXAMPLE.label ?? 'example'}, ${EXAMPLE_EVENTS} events, satellite ${EXAMPLE.satellite_id ?? '—'}${EXAMPLE.satellite_name ? ` (${EXAMPLE.satellite_name})` : ''}`}
            </Choice>
            <ErrorNote id="f-plan_file-error" message={fileError} />
          </fieldset>
          <TextField name="label" label="Label" value={chosen.label} errors={errors} hint="Left empty: the plan’s own preset name (preset.name in the file)." />
          <TextField name="satellite_id" label="Satellite id" value={chosen.satellite_id} errors={errors} hint="Left empty: the plan’s satellite.id. A live deployment goes to the agent of this satellite." />
          <TextField name="satellite_name" label="Satellite name (optional)" value={chosen.satellite_name} errors={errors} hint="Left empty: the plan’s satellite.name." />
          <TextField name="preset" label="Preset (optional)" value={chosen.preset} errors={errors} hint="Left empty: the plan’s preset.id." />
          <button type="submit">Create plan</button>
        </form>
      )}
    </section>
  )
}

async function renderMissions(ctx: ConsoleContext, extra: Partial<PageProps> = {}, status = 200): Promise<Response> {
  const cursor = ctx.url.searchParams.get('cursor')
  const showArchived = ctx.url.searchParams.get('archived') === 'include'
  const list = await read<{ missions: Mission[]; next_cursor?: string }>(ctx, `/api/missions${query({ limit: MISSION_PAGE, cursor })}`)
  const plans = new Map<string, MissionPlans>()
  await Promise.all(
    list.missions.map(async (mission) => {
      const reply = await send<{ plans: Plan[]; next_cursor?: string }>(
        ctx,
        'GET',
        `/api/plans${query({ mission_id: mission.id, limit: PLANS_PER_MISSION, archived: showArchived ? 'include' : null })}`,
      )
      plans.set(mission.id, reply.ok ? { plans: reply.body.plans, more: reply.body.next_cursor !== undefined } : { error: errorText(reply) })
    }),
  )
  // The plan form offers every mission, not only this page's.
  const choices = cursor === null && list.next_cursor === undefined ? list.missions : (await read<{ missions: Mission[] }>(ctx, '/api/missions?limit=500')).missions
  const created = ctx.url.searchParams.get('created')
  const createdMission = created ? list.missions.find((m) => m.id === created) : undefined
  const selected = ctx.url.searchParams.get('mission_id')
  const props: PageProps = {
    viewer: ctx.viewer,
    now: ctx.now,
    missions: list.missions,
    plans,
    choices,
    next: list.next_cursor ?? null,
    paged: cursor !== null,
    showArchived,
    notice: createdMission ? `Mission “${createdMission.name}” created. Add its first plan below.` : undefined,
    planForm: selected ? { mission_id: selected, label: '', satellite_id: '', satellite_name: '', preset: '', plan_source: 'file' } : undefined,
    ...extra,
  }
  return htmlPage(<MissionsPage {...props} />, { status })
}

/** Which field of the plan form an API refusal belongs to. */
function planFieldErrors(reply: ApiReply): FieldErrors {
  const text = errorText(reply)
  if (text.startsWith('plan_data') || reply.status === 413) return { plan_file: planError(text) }
  if (reply.status === 404) return { mission_id: `${text}: choose one of your missions` }
  return fieldErrors(reply)
}

async function createPlan(ctx: ConsoleContext): Promise<Response> {
  const form: PlanForm = {
    mission_id: field(ctx.form, 'mission_id'),
    label: field(ctx.form, 'label'),
    satellite_id: field(ctx.form, 'satellite_id'),
    satellite_name: field(ctx.form, 'satellite_name'),
    preset: field(ctx.form, 'preset'),
    plan_source: field(ctx.form, 'plan_source') === 'example' ? 'example' : 'file',
  }
  const refuse = (errors: FieldErrors, status: number) => renderMissions(ctx, { planForm: form, planErrors: errors }, status)
  let planData: Record<string, unknown>
  if (form.plan_source === 'example') planData = EXAMPLE_PLAN
  else {
    const file = ctx.form.get('plan_file')
    if (!(file instanceof Blob) || (file.size === 0 && (file as File).name === ''))
      return refuse({ plan_file: 'Choose a plan file to upload, or start from the built-in example plan.' }, 400)
    const result = readPlanFile(new Uint8Array(await file.arrayBuffer()))
    if (!result.ok) return refuse({ plan_file: result.message }, 400)
    planData = result.planData
  }
  // Fields left empty take what the plan says of itself (docs/console.md "Missions and plans").
  const defaults = planDefaults(planData)
  const text = (value: string, fallback: string | undefined) => (value.trim() !== '' ? value : fallback)
  const body = {
    mission_id: form.mission_id,
    label: text(form.label, defaults.label) ?? '',
    satellite_id: text(form.satellite_id, defaults.satellite_id) ?? '',
    satellite_name: text(form.satellite_name, defaults.satellite_name),
    preset: text(form.preset, defaults.preset),
    plan_data: planData,
  }
  const missing: FieldErrors = {}
  if (body.label === '') missing.label = 'label: give the plan a label (the plan names no preset.name to take it from)'
  if (body.satellite_id === '') missing.satellite_id = 'satellite_id: give the satellite id (the plan names no satellite.id to take it from)'
  if (Object.keys(missing).length > 0) return refuse(missing, 400)
  const reply = await send<Plan>(ctx, 'POST', '/api/plans', body)
  if (reply.ok) return seeOther(`${path('/plans', reply.body.id)}${query({ created: '1' })}`)
  return refuse(planFieldErrors(reply), reply.status)
}

async function createMission(ctx: ConsoleContext): Promise<Response> {
  const form = { name: field(ctx.form, 'name'), description: field(ctx.form, 'description') }
  const body: Record<string, unknown> = { name: form.name }
  if (form.description.trim() !== '') body.description = form.description
  const reply = await send<Mission>(ctx, 'POST', '/api/missions', body)
  if (reply.ok) return seeOther(`/missions${query({ created: reply.body.id })}#${encodeURIComponent(missionAnchor(reply.body.id))}`)
  return renderMissions(ctx, { missionForm: form, missionErrors: fieldErrors(reply) }, reply.status)
}

// --- one plan ---------------------------------------------------------------------------------------

type PlanEventView = { index: number; type: string; at: number | null; stepId: string | null; message: string | null; rest: Record<string, unknown> }

/** A stored plan's events for display, in play order (by timestamp_s, ties in plan order), whatever they hold. */
export function planEvents(planData: unknown): PlanEventView[] {
  const events = typeof planData === 'object' && planData !== null && Array.isArray((planData as { events?: unknown }).events) ? ((planData as { events: unknown[] }).events) : []
  const views = events.map((event, index): PlanEventView => {
    const object = typeof event === 'object' && event !== null && !Array.isArray(event) ? (event as Record<string, unknown>) : { value: event }
    const { type, timestamp_s, step_id, message, ...rest } = object
    return {
      index,
      type: typeof type === 'string' ? type : JSON.stringify(type) ?? '',
      at: typeof timestamp_s === 'number' ? timestamp_s : null,
      stepId: typeof step_id === 'string' ? step_id : null,
      message: typeof message === 'string' ? message : message === undefined ? null : JSON.stringify(message),
      rest,
    }
  })
  return views.sort((a, b) => (a.at ?? 0) - (b.at ?? 0) || a.index - b.index)
}

function PlanPage({ viewer, now, plan, missionName, notice }: { viewer: Viewer; now: number; plan: PlanWithData; missionName: string | null; notice?: string }) {
  const events = planEvents(plan.plan_data)
  const { events: _events, ...planRest } = (typeof plan.plan_data === 'object' && plan.plan_data !== null ? plan.plan_data : {}) as Record<string, unknown>
  return (
    <Layout title={`Plan ${plan.label}`} viewer={viewer} section="missions">
      <p>
        <a href={`/missions#${encodeURIComponent(missionAnchor(plan.mission_id))}`}>← Missions and plans</a>
      </p>
      <h1>{plan.label}</h1>
      <Notice message={notice} />
      <dl class="facts">
        <dt>Mission</dt>
        <dd>{missionName ?? <span class="mono">{plan.mission_id}</span>}</dd>
        <dt>Satellite</dt>
        <dd>
          <span class="mono">{plan.satellite_id}</span>
          {plan.satellite_name && <span class="sat-name">{plan.satellite_name}</span>}
        </dd>
        <dt>Preset</dt>
        <dd>{plan.preset ?? <span class="muted">—</span>}</dd>
        <dt>Events</dt>
        <dd>{plan.event_count}</dd>
        <dt>Created</dt>
        <dd>
          <Time iso={plan.created_at} now={now} />
        </dd>
        <dt>Id</dt>
        <dd class="mono">{plan.id}</dd>
        {plan.archived_at && (
          <>
            <dt>Archived</dt>
            <dd data-archived="true">
              <Time iso={plan.archived_at} now={now} />
            </dd>
          </>
        )}
      </dl>
      <form method="post" action={path('/plans', plan.id, plan.archived_at ? 'unarchive' : 'archive')} class="inline-actions" data-archive-form>
        <CsrfField viewer={viewer} />
        <p class="muted">
          {plan.archived_at
            ? 'This plan is archived: hidden from the plan lists, and it starts no deployment until it is restored. Its deployments are kept.'
            : 'Archiving hides the plan from the plan lists and stops new deployments of it; its deployments are kept, and it can be restored.'}
        </p>
        <button type="submit">{plan.archived_at ? 'Restore from the archive' : 'Archive plan'}</button>
      </form>
      {!plan.archived_at && <StartDeployment viewer={viewer} planId={plan.id} />}
      <h2 id="plan-events-heading">Events</h2>
      <p class="muted">In play order: by mission time from the plan’s start, ties in the file’s order (# is the event’s place in the file).</p>
      <div class="table-wrap">
        <table class="list" id="plan-events" aria-labelledby="plan-events-heading">
          <thead>
            <tr>
              <th scope="col" class="num">#</th>
              <th scope="col">Mission time</th>
              <th scope="col">Type</th>
              <th scope="col">Step</th>
              <th scope="col">Message</th>
              <th scope="col">Other fields</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr>
                <td class="num">{e.index}</td>
                <td class="num">{e.at === null ? <span class="muted">—</span> : <span title={`${e.at} s`}>{clock(e.at)}</span>}</td>
                <td class="mono">{e.type}</td>
                <td class="mono">{e.stepId ?? <span class="muted">—</span>}</td>
                <td>{e.message ?? <span class="muted">—</span>}</td>
                <td>
                  {Object.keys(e.rest).length === 0 ? (
                    <span class="muted">—</span>
                  ) : (
                    <JsonDetails summary={fieldsSummary(e.rest, 3)} value={e.rest} whole="GET /api/plans/{id} has all of it" />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {Object.keys(planRest).length > 0 && (
        <div class="plan-data">
          <JsonDetails summary={`The rest of the plan data (${fieldsSummary(planRest, 6)})`} value={planRest} whole="GET /api/plans/{id} has all of it" />
        </div>
      )}
    </Layout>
  )
}

function StartDeployment({ viewer, planId }: { viewer: Viewer; planId: string }) {
  return (
    <section aria-labelledby="start-deployment" class="narrow">
      <h2 id="start-deployment">Start a deployment of this plan</h2>
      <form method="post" action="/deployments" class="stack" id="start-deployment-form">
        <CsrfField viewer={viewer} />
        <input type="hidden" name="plan_id" value={planId} />
        <fieldset class="field">
          <legend>Mode</legend>
          {MODES.map((mode) => (
            <Choice name="mode" value={mode} id={`f-mode-${mode}`} checked={mode === 'simulated'}>
              {mode === 'simulated' ? 'Simulated: the server plays the plan' : 'Live: the satellite’s agent polls for it and reports'}
            </Choice>
          ))}
        </fieldset>
        <div class="field">
          <label for="f-speed_multiplier">Speed (simulated: mission seconds per wall second)</label>
          <input id="f-speed_multiplier" name="speed_multiplier" type="number" min="0" max="10000" step="any" value="100" />
        </div>
        <button type="submit">Start deployment</button>
      </form>
    </section>
  )
}

async function planPage(ctx: ConsoleContext): Promise<Response> {
  const plan = await read<PlanWithData>(ctx, path('/api/plans', ctx.params.id!))
  const mission = await send<Mission>(ctx, 'GET', path('/api/missions', plan.mission_id))
  const said = ctx.url.searchParams
  const notice =
    said.get('created') === '1'
      ? 'Plan created. Start a deployment of it below.'
      : said.get('archived') === '1' && plan.archived_at
        ? 'Plan archived.'
        : said.get('restored') === '1' && !plan.archived_at
          ? 'Plan restored from the archive.'
          : undefined
  return htmlPage(<PlanPage viewer={ctx.viewer} now={ctx.now} plan={plan} missionName={mission.ok ? mission.body.name : null} notice={notice} />)
}

export const missionPages: ConsoleRoute[] = [
  { method: 'GET', path: '/missions', section: 'missions', handle: (ctx) => renderMissions(ctx) },
  { method: 'POST', path: '/missions', section: 'missions', handle: createMission },
  { method: 'POST', path: '/plans', section: 'missions', handle: createPlan },
  { method: 'GET', path: '/plans/:id', section: 'missions', handle: planPage },
  { method: 'POST', path: '/plans/:id/archive', section: 'missions', handle: (ctx) => setPlanArchived(ctx, true) },
  { method: 'POST', path: '/plans/:id/unarchive', section: 'missions', handle: (ctx) => setPlanArchived(ctx, false) },
]

/** The plan page's archive form: back to the plan with a notice, or the API's refusal in words. */
async function setPlanArchived(ctx: ConsoleContext, archive: boolean): Promise<Response> {
  const id = ctx.params.id!
  const reply = await send(ctx, 'POST', `${path('/api/plans', id)}/${archive ? 'archive' : 'unarchive'}`)
  if (reply.ok) return seeOther(`${path('/plans', id)}?${archive ? 'archived' : 'restored'}=1`)
  throw new PageError(reply.status, errorText(reply))
}

