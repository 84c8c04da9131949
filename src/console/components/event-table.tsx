/** @jsxImportSource preact */
// The deployment's events table (`#events`): one page of the event list (docs/api.md §3.2), each payload as
// pretty JSON in a <details>. Rendered by the server, and again by the deployment island as events arrive.
import { utc } from '../format'
import { fieldsSummary, JsonDetails, shownJson, type ShownJson } from './common'
import { missionClock } from './timeline'

export type EventItem = {
  id: string
  event_type: string
  step_id: string | null
  job_id: string | null
  payload: unknown
  event_timestamp: string
  created_at: string
  /**
   * Set (by forIsland) in place of a payload too big to show whole: what the table shows of it. The API
   * never sends this; it keeps an island's data as small as the page.
   */
  payload_cut?: ShownJson & { summary: string }
}

/** The table's items for an island's data block: a payload the page shows cut travels cut. */
export function forIsland(items: EventItem[]): EventItem[] {
  return items.map((event) => {
    const shown = shownJson(event.payload)
    return shown.cut === null ? event : { ...event, payload: null, payload_cut: { ...shown, summary: payloadSummary(event.payload) } }
  })
}

/** A one-line hint of a payload: its `message` when it has one, else its field names. */
export function payloadSummary(payload: unknown): string {
  if (typeof payload !== 'object' || payload === null) return JSON.stringify(payload) ?? ''
  const message = (payload as { message?: unknown }).message
  if (typeof message === 'string' && message !== '') return message.length > 80 ? `${message.slice(0, 79)}…` : message
  return Object.keys(payload).length === 0 ? '' : fieldsSummary(payload)
}

function isEmpty(payload: unknown): boolean {
  return payload === null || payload === undefined || (typeof payload === 'object' && Object.keys(payload).length === 0)
}

export function EventTable({ items, originMs, filtered }: { items: EventItem[]; originMs: number | null; filtered: boolean }) {
  if (items.length === 0) return <p class="empty">{filtered ? 'No event matches these filters.' : 'No events yet.'}</p>
  return (
    <div class="table-wrap">
      <table class="list events" id="events">
        <caption class="sr-only">Events in mission order</caption>
        <thead>
          <tr>
            <th scope="col" class="num">
              Mission time
            </th>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">Step</th>
            <th scope="col">Payload</th>
          </tr>
        </thead>
        <tbody>
          {items.map((event) => {
            const ms = Date.parse(event.event_timestamp)
            const cut = event.payload_cut
            const summary = cut ? cut.summary : payloadSummary(event.payload)
            return (
              <tr key={event.id} data-id={event.id}>
                <td class="num mono">{originMs !== null && Number.isFinite(ms) ? missionClock((ms - originMs) / 1000) : '—'}</td>
                <td>
                  <time datetime={event.event_timestamp} title={event.event_timestamp}>
                    {utc(event.event_timestamp)}
                  </time>
                </td>
                <td class="mono">{event.event_type}</td>
                <td class="mono">{event.step_id ?? <span class="muted">—</span>}</td>
                <td class="payload">
                  {cut ? (
                    <JsonDetails summary={summary || 'payload'} shown={cut} />
                  ) : isEmpty(event.payload) ? (
                    <span class="muted">empty</span>
                  ) : (
                    <JsonDetails summary={summary || 'payload'} value={event.payload} />
                  )}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}

/** The table with how many events match, as the page (and then the island) counts them. */
export function EventsBlock({ items, total, originMs, filtered, paged }: { items: EventItem[]; total: number; originMs: number | null; filtered: boolean; paged: boolean }) {
  return (
    <>
      <p class="muted">{`${total} event${total === 1 ? '' : 's'}${filtered ? (total === 1 ? ' matches' : ' match') : ''}${paged ? '; this is a later page' : ''}.`}</p>
      <EventTable items={items} originMs={originMs} filtered={filtered} />
    </>
  )
}
