/** @jsxImportSource preact */
// The deployments table: rendered on the server, then kept current by the deployments island from the
// deployments stream (docs/console.md "Live updates").
import { path } from '../paths'
import { StatusBadge, Time } from './common'

export type DeploymentItem = {
  id: string
  mission_id: string
  plan_id: string
  satellite_id: string
  status: string
  mode: string
  speed_multiplier: number
  started_at: string | null
  completed_at: string | null
  created_at: string
  mission_name: string
  plan_label: string
  agent_id: string | null
  dispatched_at: string | null
  event_count: number
  /** Set while archived (docs/api.md §2.2). */
  archived_at: string | null
}

export function DeploymentTable({ items, now }: { items: DeploymentItem[]; now: number }) {
  if (items.length === 0) return <p class="empty">No deployments match. Create one from a plan below.</p>
  return (
    <div class="table-wrap">
      <table class="list" id="deployments">
        <caption class="sr-only">Deployments, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Deployment</th>
            <th scope="col">Mode</th>
            <th scope="col">Mission</th>
            <th scope="col">Plan</th>
            <th scope="col">Satellite</th>
            <th scope="col">Agent</th>
            <th scope="col">Started</th>
            <th scope="col">Completed</th>
            <th scope="col" class="num">Events</th>
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id} data-id={d.id}>
              <td>
                <StatusBadge status={d.status} />
                {d.archived_at && (
                  <span class="badge archived" data-archived="true">
                    archived
                  </span>
                )}
              </td>
              <td>
                <a href={path('/deployments', d.id)} class="mono">
                  {d.id}
                </a>
              </td>
              <td>
                {d.mode}
                {d.mode === 'simulated' && <small class="muted"> ×{d.speed_multiplier}</small>}
              </td>
              <td>{d.mission_name}</td>
              <td>{d.plan_label}</td>
              <td class="mono">{d.satellite_id}</td>
              <td class="mono">{d.agent_id ?? <span class="muted">—</span>}</td>
              <td>
                <Time iso={d.started_at} now={now} />
              </td>
              <td>
                <Time iso={d.completed_at} now={now} />
              </td>
              <td class="num">{d.event_count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
