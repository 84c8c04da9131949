/** @jsxImportSource preact */
// A deployment's status, facts, export links and cancel link: rendered by the server, and again by the
// deployment island at each `event: status` of its stream (docs/console.md "Deployment page and timeline").
import { path, query } from '../paths'
import { StatusBadge, Time } from './common'
import type { DeploymentItem } from './deployment-table'

export const TERMINAL = ['completed', 'failed', 'cancelled'] as const
export const isTerminal = (status: string) => (TERMINAL as readonly string[]).includes(status)

/** The events table's filters, which the export links carry too. */
export type EventFilters = { type: string; step_id: string }

export function exportLink(id: string, format: 'ndjson' | 'csv', filters: EventFilters): string {
  return `${path('/api/deployments', id, 'events', 'export')}${query({ format, type: filters.type, step_id: filters.step_id })}`
}

export function DeploymentSummary({ d, now, filters }: { d: DeploymentItem; now: number; filters: EventFilters }) {
  const filtered = filters.type !== '' || filters.step_id !== ''
  return (
    <div class="summary">
      <p class="summary-status">
        Status: <StatusBadge status={d.status} />
      </p>
      <dl class="facts">
        <dt>Mode</dt>
        <dd>
          {d.mode}
          {d.mode === 'simulated' && <small class="muted"> ×{d.speed_multiplier}</small>}
        </dd>
        <dt>Mission</dt>
        <dd>{d.mission_name}</dd>
        <dt>Plan</dt>
        <dd>{d.plan_label}</dd>
        <dt>Satellite</dt>
        <dd class="mono">{d.satellite_id}</dd>
        <dt>Agent</dt>
        <dd class="mono">{d.agent_id ?? <span class="muted">—</span>}</dd>
        <dt>Created</dt>
        <dd>
          <Time iso={d.created_at} now={now} />
        </dd>
        <dt>Dispatched</dt>
        <dd>
          <Time iso={d.dispatched_at} now={now} />
        </dd>
        <dt>Started</dt>
        <dd>
          <Time iso={d.started_at} now={now} />
        </dd>
        <dt>Completed</dt>
        <dd>
          <Time iso={d.completed_at} now={now} />
        </dd>
        <dt>Events</dt>
        <dd class="mono" data-event-count>
          {d.event_count}
        </dd>
      </dl>
      <p class="actions">
        <span>
          Export {filtered ? 'the filtered events' : 'every event'}:{' '}
          <a href={exportLink(d.id, 'ndjson', filters)} download>
            NDJSON
          </a>{' '}
          ·{' '}
          <a href={exportLink(d.id, 'csv', filters)} download>
            CSV
          </a>
        </span>
        {!isTerminal(d.status) && (
          <a class="button danger" href={path('/deployments', d.id, 'cancel')}>
            Cancel deployment…
          </a>
        )}
      </p>
    </div>
  )
}
