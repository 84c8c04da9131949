/** @jsxImportSource preact */
// Small pieces every page uses, rendered the same on the server and in islands.
import { relative, utc } from '../format'

export const STATUSES = ['pending', 'dispatched', 'running', 'completed', 'failed', 'cancelled'] as const
export type Status = (typeof STATUSES)[number]

const STATUS_MARK: Record<string, string> = {
  pending: '○',
  dispatched: '◔',
  running: '◑',
  completed: '✓',
  failed: '✕',
  cancelled: '⊘',
}

/** A status in words and a mark, coloured too (never by colour alone); `data-status` for scripts. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${STATUS_MARK[status] ? status : 'unknown'}`} data-status={status}>
      <span aria-hidden="true">{STATUS_MARK[status] ?? '?'}</span> {status}
    </span>
  )
}

/** A UTC time with how long ago it was; islands keep the relative part current. */
export function Time({ iso, now }: { iso: string | null | undefined; now: number }) {
  if (!iso) return <span class="muted">—</span>
  return (
    <time datetime={iso} title={iso}>
      {utc(iso)} <small class="ago" data-ago={iso}>{relative(iso, now)}</small>
    </time>
  )
}
