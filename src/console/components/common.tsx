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

/** The most of one JSON value a page shows: its export (or the plan's own file) has all of it. */
export const JSON_SHOWN_MAX = 16 * 1024

/**
 * A JSON value as a page shows it: pretty-printed when that stays within JSON_SHOWN_MAX characters, else
 * compact, and cut at JSON_SHOWN_MAX. Indentation grows with depth, so a payload of 64 KiB nested 64 deep
 * would print 60 times larger: never more than this per value, however it is shaped.
 */
export type ShownJson = { text: string; cut: number | null }

export function shownJson(value: unknown): ShownJson {
  const compact = JSON.stringify(value) ?? 'null'
  if (compact.length > JSON_SHOWN_MAX) return { text: `${compact.slice(0, JSON_SHOWN_MAX)}…`, cut: compact.length }
  const pretty = JSON.stringify(value, null, 2) ?? 'null'
  return { text: pretty.length <= JSON_SHOWN_MAX ? pretty : compact, cut: null }
}

/** A JSON value, pretty-printed as text in a disclosure (collapsed until opened), within JSON_SHOWN_MAX. */
export function JsonDetails({ summary, value, shown, whole = 'the export has all of it' }: { summary: string; value?: unknown; shown?: ShownJson; whole?: string }) {
  const { text, cut } = shown ?? shownJson(value)
  return (
    <details>
      <summary>{summary}</summary>
      <pre>{text}</pre>
      {cut !== null && <p class="muted">{`The first ${Math.round(JSON_SHOWN_MAX / 1024)} KiB of ${Math.ceil(cut / 1024)} KiB shown: ${whole}.`}</p>}
    </details>
  )
}

/** `1 field: a` / `5 fields: a, b, c, …`: what an object holds, in a line. */
export function fieldsSummary(value: object, shown = 4): string {
  const names = Object.keys(value)
  return `${names.length} ${names.length === 1 ? 'field' : 'fields'}: ${names.slice(0, shown).join(', ')}${names.length > shown ? ', …' : ''}`
}
