/** @jsxImportSource preact */
// Small pieces every page uses, rendered the same on the server and in islands.
import { relative, utc } from '../format'
import { query } from '../paths'

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

type PagerProps = {
  /** The list's own path, and the filters every page keeps. */
  base: string
  params?: Record<string, string | undefined>
  /** True on a page after the first (it has a cursor). */
  paged: boolean
  /** The next page's cursor, when there is one. */
  next: string | null | undefined
  label?: string
  firstText?: string
  nextText?: string
}

/** Links between the pages of a cursor-paged list: back to the first page, and on to the next. */
export function Pager({ base, params = {}, paged, next, label = 'Pages', firstText = '← Newest', nextText = 'Older →' }: PagerProps) {
  return (
    <nav class="pager" aria-label={label}>
      {paged && <a href={`${base}${query(params)}`}>{firstText}</a>}
      {next && (
        <a href={`${base}${query({ ...params, cursor: next })}`} rel="next">
          {nextText}
        </a>
      )}
    </nav>
  )
}

/** A JSON value, pretty-printed as text in a disclosure (collapsed until opened). */
export function JsonDetails({ summary, value }: { summary: string; value: unknown }) {
  return (
    <details>
      <summary>{summary}</summary>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </details>
  )
}

/** `1 field: a` / `5 fields: a, b, c, …`: what an object holds, in a line. */
export function fieldsSummary(value: object, shown = 4): string {
  const names = Object.keys(value)
  return `${names.length} ${names.length === 1 ? 'field' : 'fields'}: ${names.slice(0, shown).join(', ')}${names.length > shown ? ', …' : ''}`
}
