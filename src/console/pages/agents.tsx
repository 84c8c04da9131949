/** @jsxImportSource preact */
// The fleet (`/agents`) and one agent (`/agents/{id}`): status in words, satellite, version, last contact
// with stale agents flagged, and battery and temperature sparklines from each agent's kept telemetry
// (GET /api/agents, GET /api/agents/{id}, GET /api/agents/{id}/telemetry; docs/console.md "Agents").
import { Time, Pager } from '../components/common'
import { Sparkline, reading, type SparkPoint } from '../components/sparkline'
import { relative } from '../format'
import { CsrfField, htmlPage, Layout, Notice, seeOther, type Viewer } from '../html'
import { errorText, PageError, read, send, type ConsoleContext, type ConsoleRoute } from '../kit'
import { path, query } from '../paths'

/** Agents per page of the fleet: each costs one telemetry read for its sparklines. */
export const AGENT_PAGE = 50
/** Samples behind each sparkline on the fleet page. */
export const SPARK_SAMPLES = 50
/** Samples per page of an agent's telemetry table. */
export const SAMPLE_PAGE = 100
/**
 * An agent not heard from for longer than this is flagged stale. The stock agent polls every 30 s (its
 * default poll interval; a workload's event reports come more often) and sends telemetry no more often,
 * so five minutes is ten missed polls, not a slow link (docs/console.md "Agents").
 */
export const STALE_AFTER_MS = 5 * 60_000

export type Telemetry = {
  status?: string
  timestamp?: string
  cpu_percent?: number | null
  memory_mb?: number | null
  battery_percent?: number | null
  temperature_c?: number | null
  position?: { lat: number; lon: number; altitude_km: number; in_eclipse: boolean } | null
  compute_capacity?: number | null
}
export type AgentItem = {
  id: string
  satellite_id: string | null
  satellite_name: string | null
  agent_version: string | null
  status: string
  registered_at: string | null
  last_seen_at: string
  last_heartbeat_at: string | null
  last_telemetry: Telemetry | null
  /** When the server found it lost (`--agent-lost-after`; docs/operations.md "Lost agents"); null while it is seen. */
  lost_at: string | null
}
export type Sample = Telemetry & { received_at: string }

/** Whether an agent last seen at `lastSeen` is stale at `now` (ms). */
export function isStale(lastSeen: string, now: number): boolean {
  const at = Date.parse(lastSeen)
  return !Number.isNaN(at) && now - at > STALE_AFTER_MS
}

/** One reading of newest-first samples as chronological sparkline points (samples without it are skipped). */
export function seriesOf(samples: Sample[], field: 'battery_percent' | 'temperature_c'): SparkPoint[] {
  const points: SparkPoint[] = []
  for (let i = samples.length - 1; i >= 0; i--) {
    const value = samples[i]![field]
    const at = Date.parse(samples[i]!.received_at)
    if (typeof value === 'number' && Number.isFinite(value) && !Number.isNaN(at)) points.push({ at, value })
  }
  return points
}

const AGENT_MARK: Record<string, string> = { idle: '○', executing: '▶', transferring: '⇅', offline: '✕' }

/** The agent's own status (docs/api.md §4), in words with a mark; `data-status` for scripts. */
export function AgentStatus({ status }: { status: string }) {
  const known = Object.hasOwn(AGENT_MARK, status)
  return (
    <span class={`badge agent-${known ? status : 'unknown'}`} data-status={status}>
      <span aria-hidden="true">{known ? AGENT_MARK[status] : '?'}</span> {status}
    </span>
  )
}

/** Shown beside the status of an agent not seen for more than STALE_AFTER_MS. */
export function StaleBadge({ lastSeen, now }: { lastSeen: string; now: number }) {
  return (
    <span class="badge stale" data-stale="true" title={`not seen since ${lastSeen}`}>
      <span aria-hidden="true">⚠</span> stale: no contact for {relative(lastSeen, now).replace(/ ago$/, '')}
    </span>
  )
}

/** Shown for an agent the server found lost (lost_at set): stronger than stale, which is the console's own guess. */
export function LostBadge({ lostAt, now }: { lostAt: string; now: number }) {
  return (
    <span class="badge lost" data-lost="true" title={`found lost at ${lostAt}`}>
      <span aria-hidden="true">✕</span> lost since {relative(lostAt, now)}
    </span>
  )
}

function Reading({ value, unit }: { value: number | null | undefined; unit: string }) {
  return typeof value === 'number' ? <span class="num">{reading(value, unit)}</span> : <span class="muted">—</span>
}

function Satellite({ agent }: { agent: AgentItem }) {
  if (!agent.satellite_id && !agent.satellite_name) return <span class="muted">—</span>
  return (
    <>
      {agent.satellite_id && <span class="mono">{agent.satellite_id}</span>}
      {agent.satellite_name && <span class="sat-name">{agent.satellite_name}</span>}
    </>
  )
}

const STALE_RULE = `Stale: no request from the agent for more than ${STALE_AFTER_MS / 60_000} minutes. Lost: the server found it silent for longer than its --agent-lost-after, until it is heard from again.`

type FleetProps = { viewer: Viewer; now: number; agents: AgentItem[]; history: Map<string, Sample[] | null>; next: string | null; paged: boolean; deleted: string | null }

function FleetPage({ viewer, now, agents, history, next, paged, deleted }: FleetProps) {
  const staleCount = agents.filter((a) => !a.lost_at && isStale(a.last_seen_at, now)).length
  const lostCount = agents.filter((a) => a.lost_at).length
  return (
    <Layout title="Agents" viewer={viewer} section="agents">
      <h1>Agents</h1>
      <Notice message={deleted ? `Agent ${deleted} deleted.` : undefined} />
      {agents.length === 0 && !paged ? (
        <p class="empty">
          No agent has contacted the server yet. An agent appears here after its first request (register, poll or telemetry) with one of your
          API keys and its <code>X-Agent-ID</code>.
        </p>
      ) : (
        <>
          <p class="muted">
            {STALE_RULE} Sparklines show the last {SPARK_SAMPLES} telemetry samples, oldest on the left.
            {staleCount > 0 && ` ${staleCount === 1 ? '1 agent on this page is' : `${staleCount} agents on this page are`} stale.`}
            {lostCount > 0 && ` ${lostCount === 1 ? '1 agent on this page is' : `${lostCount} agents on this page are`} lost.`}
          </p>
          <div class="table-wrap">
            <table class="list" id="agents">
              <caption class="sr-only">Agents, by first contact, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">Status</th>
                  <th scope="col">Satellite</th>
                  <th scope="col">Version</th>
                  <th scope="col">Registered</th>
                  <th scope="col">Last seen</th>
                  <th scope="col">Battery</th>
                  <th scope="col">Temperature</th>
                </tr>
              </thead>
              <tbody>
                {agents.map((agent) => {
                  const samples = history.get(agent.id)
                  const stale = isStale(agent.last_seen_at, now)
                  return (
                    <tr data-id={agent.id} data-stale={stale ? 'true' : undefined} data-lost={agent.lost_at ? 'true' : undefined}>
                      <th scope="row">
                        <a href={path('/agents', agent.id)} class="mono">
                          {agent.id}
                        </a>
                      </th>
                      <td>
                        <span class="badges">
                          <AgentStatus status={agent.status} />
                          {agent.lost_at ? <LostBadge lostAt={agent.lost_at} now={now} /> : stale && <StaleBadge lastSeen={agent.last_seen_at} now={now} />}
                        </span>
                      </td>
                      <td>
                        <Satellite agent={agent} />
                      </td>
                      <td class="mono">{agent.agent_version ?? <span class="muted">—</span>}</td>
                      <td>
                        <Time iso={agent.registered_at} now={now} />
                      </td>
                      <td>
                        <Time iso={agent.last_seen_at} now={now} />
                      </td>
                      <td>
                        <span class="spark-cell">
                          <Reading value={agent.last_telemetry?.battery_percent} unit="%" />
                          {samples === null ? (
                            <span class="muted">history unavailable</span>
                          ) : (
                            <Sparkline points={seriesOf(samples ?? [], 'battery_percent')} label={`Battery of ${agent.id}`} unit="%" kind="spark-battery" />
                          )}
                        </span>
                      </td>
                      <td>
                        <span class="spark-cell">
                          <Reading value={agent.last_telemetry?.temperature_c} unit="°C" />
                          {samples === null ? (
                            <span class="muted">history unavailable</span>
                          ) : (
                            <Sparkline points={seriesOf(samples ?? [], 'temperature_c')} label={`Temperature of ${agent.id}`} unit="°C" kind="spark-temperature" />
                          )}
                        </span>
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
          {agents.length === 0 && <p class="empty">No more agents.</p>}
        </>
      )}
      <Pager base="/agents" paged={paged} next={next} firstText="← First page" nextText="More agents →" />
    </Layout>
  )
}

type AgentProps = { viewer: Viewer; now: number; agent: AgentItem; samples: Sample[]; next: string | null; paged: boolean; notice?: string }

function AgentPage({ viewer, now, agent, samples, next, paged, notice }: AgentProps) {
  const stale = isStale(agent.last_seen_at, now)
  const t = agent.last_telemetry
  const base = path('/agents', agent.id)
  return (
    <Layout title={`Agent ${agent.id}`} viewer={viewer} section="agents">
      <p>
        <a href="/agents">← All agents</a>
      </p>
      <h1>
        Agent <span class="mono">{agent.id}</span>
      </h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <span class="badges">
            <AgentStatus status={agent.status} />
            {agent.lost_at ? <LostBadge lostAt={agent.lost_at} now={now} /> : stale && <StaleBadge lastSeen={agent.last_seen_at} now={now} />}
          </span>
        </dd>
        <dt>Satellite</dt>
        <dd>
          <Satellite agent={agent} />
        </dd>
        <dt>Agent version</dt>
        <dd class="mono">{agent.agent_version ?? <span class="muted">—</span>}</dd>
        <dt>Registered</dt>
        <dd>
          <Time iso={agent.registered_at} now={now} />
        </dd>
        <dt>Last seen</dt>
        <dd>
          <Time iso={agent.last_seen_at} now={now} />
        </dd>
        <dt>Last telemetry</dt>
        <dd>
          <Time iso={agent.last_heartbeat_at} now={now} />
        </dd>
        <dt>Battery</dt>
        <dd>
          <span class="spark-cell">
            <Reading value={t?.battery_percent} unit="%" />
            <Sparkline points={seriesOf(samples, 'battery_percent')} label="Battery" unit="%" kind="spark-battery" width={240} height={40} />
          </span>
        </dd>
        <dt>Temperature</dt>
        <dd>
          <span class="spark-cell">
            <Reading value={t?.temperature_c} unit="°C" />
            <Sparkline points={seriesOf(samples, 'temperature_c')} label="Temperature" unit="°C" kind="spark-temperature" width={240} height={40} />
          </span>
        </dd>
      </dl>
      <p class="muted">{STALE_RULE} The sparklines show the samples of the table below.</p>
      <Notice message={notice} />
      <p class="actions">
        <a class="button danger" href={path('/agents', agent.id, 'delete')}>
          Delete agent…
        </a>
      </p>
      <h2 id="telemetry-heading">Telemetry, newest first</h2>
      {samples.length === 0 ? (
        <p class="empty">{paged ? 'No older samples.' : 'This agent has sent no telemetry.'}</p>
      ) : (
        <div class="table-wrap">
          <table class="list" id="telemetry" aria-labelledby="telemetry-heading">
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">Battery</th>
                <th scope="col" class="num">Temperature</th>
                <th scope="col" class="num">CPU</th>
                <th scope="col" class="num">Memory</th>
                <th scope="col" class="num">Compute</th>
                <th scope="col">Position</th>
              </tr>
            </thead>
            <tbody>
              {samples.map((s) => (
                <tr>
                  <td>
                    <Time iso={s.received_at} now={now} />
                  </td>
                  <td>{s.status ?? <span class="muted">—</span>}</td>
                  <td class="num">
                    <Reading value={s.battery_percent} unit="%" />
                  </td>
                  <td class="num">
                    <Reading value={s.temperature_c} unit="°C" />
                  </td>
                  <td class="num">
                    <Reading value={s.cpu_percent} unit="%" />
                  </td>
                  <td class="num">
                    <Reading value={s.memory_mb} unit="MB" />
                  </td>
                  <td class="num">{typeof s.compute_capacity === 'number' ? s.compute_capacity : <span class="muted">—</span>}</td>
                  <td>
                    {s.position ? (
                      `${s.position.lat}°, ${s.position.lon}°, ${s.position.altitude_km} km${s.position.in_eclipse ? ', in eclipse' : ''}`
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
      <Pager base={base} paged={paged} next={next} />
    </Layout>
  )
}

async function fleet(ctx: ConsoleContext): Promise<Response> {
  const cursor = ctx.url.searchParams.get('cursor')
  const list = await read<{ agents: AgentItem[]; next_cursor?: string }>(ctx, `/api/agents${query({ limit: AGENT_PAGE, cursor })}`)
  // One bounded read per agent shown (at most AGENT_PAGE), side by side; an agent whose history cannot be
  // read (gone meanwhile) shows so in words instead of failing the page.
  const history = new Map<string, Sample[] | null>()
  await Promise.all(
    list.agents.map(async (agent) => {
      const reply = await send<{ samples: Sample[] }>(ctx, 'GET', `${path('/api/agents', agent.id)}/telemetry${query({ limit: SPARK_SAMPLES })}`)
      history.set(agent.id, reply.ok ? reply.body.samples : null)
    }),
  )
  return htmlPage(
    <FleetPage
      viewer={ctx.viewer}
      now={ctx.now}
      agents={list.agents}
      history={history}
      next={list.next_cursor ?? null}
      paged={cursor !== null}
      deleted={ctx.url.searchParams.get('deleted')?.slice(0, 128) ?? null}
    />,
  )
}

async function agentPage(ctx: ConsoleContext): Promise<Response> {
  const id = ctx.params.id!
  const cursor = ctx.url.searchParams.get('cursor')
  const agent = await read<AgentItem>(ctx, path('/api/agents', id))
  const page = await read<{ samples: Sample[]; next_cursor?: string }>(ctx, `${path('/api/agents', id)}/telemetry${query({ limit: SAMPLE_PAGE, cursor })}`)
  return htmlPage(
    <AgentPage viewer={ctx.viewer} now={ctx.now} agent={agent} samples={page.samples} next={page.next_cursor ?? null} paged={cursor !== null} />,
  )
}

/** The delete confirmation (docs/console.md "Agents"): what goes, what stays, and that the agent may come back. */
function DeletePage({ viewer, agent }: { viewer: Viewer; agent: AgentItem }) {
  const back = path('/agents', agent.id)
  return (
    <Layout title={`Delete agent ${agent.id}`} viewer={viewer} section="agents">
      <h1>
        Delete agent <span class="mono">{agent.id}</span>?
      </h1>
      <p>
        Its record and every telemetry sample it sent are deleted; this cannot be undone. Its deployments keep their history and still name it. If the agent
        calls the server again with a valid key it is simply a new agent: to keep a satellite out, revoke its API key on the keys page.
      </p>
      <form method="post" action={path('/agents', agent.id, 'delete')} class="inline-actions">
        <CsrfField viewer={viewer} />
        <button type="submit" class="danger">
          Delete agent
        </button>
        <a href={back}>Keep it</a>
      </form>
    </Layout>
  )
}

export const agentPages: ConsoleRoute[] = [
  { method: 'GET', path: '/agents', section: 'agents', handle: fleet },
  { method: 'GET', path: '/agents/:id', section: 'agents', handle: agentPage },
  {
    method: 'GET',
    path: '/agents/:id/delete',
    section: 'agents',
    async handle(ctx) {
      const agent = await read<AgentItem>(ctx, path('/api/agents', ctx.params.id!))
      return htmlPage(<DeletePage viewer={ctx.viewer} agent={agent} />)
    },
  },
  {
    method: 'POST',
    path: '/agents/:id/delete',
    section: 'agents',
    async handle(ctx) {
      const reply = await send(ctx, 'DELETE', path('/api/agents', ctx.params.id!))
      if (reply.ok) return seeOther(`/agents${query({ deleted: ctx.params.id! })}`)
      throw new PageError(reply.status, errorText(reply))
    },
  },
]
