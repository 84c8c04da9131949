/** @jsxImportSource preact */
// The deployment island (docs/console.md "Deployment page and timeline"): follows the deployment's events
// stream from the count the server page read, grows the timeline (the server's own components, rendered
// again), keeps the status and the events table current, and lets the viewer zoom and pan in time.
import { render } from 'preact'
import { DeploymentSummary, isTerminal } from '../components/deployment-summary'
import { EventsBlock, type EventItem } from '../components/event-table'
import { PLOT_W, timeAt, WIDTH } from '../components/timeline'
import { buildTimeline, timelineEventOf, type TimelineEvent } from '../components/timeline-model'
import { TimelinePanel, type Controls, type ViewMode } from '../components/timeline-panel'
import { clampView, fitView, followView, panView, zoomView, type TimeView } from '../components/timeline-view'
import type { DeploymentIslandData } from '../pages/deployment'
import { path } from '../paths'
import { islandData, showLiveState } from './live'

/** The browser keeps at most this many events in the timeline (the server page draws at most 5 000). */
const CLIENT_MAX = 20_000
/** Redraws are gathered: at most one per this many milliseconds while events pour in. */
const REDRAW_MS = 150

/** Whether an event passes the table's filters (docs/events.md: `type` exact or `prefix.*`, `step_id` exact). */
export function matchesFilters(event: EventItem, filters: { type: string; step_id: string }): boolean {
  if (filters.type) {
    const prefix = filters.type.endsWith('.*') ? filters.type.slice(0, -1) : null
    if (prefix ? !event.event_type.startsWith(prefix) : event.event_type !== filters.type) return false
  }
  if (filters.step_id && event.step_id !== filters.step_id) return false
  return true
}

export function deploymentIsland(root: HTMLElement) {
  const data = islandData<DeploymentIslandData>('deployment-data')
  const summaryAt = root.querySelector<HTMLElement>('[data-summary]')
  const timelineAt = root.querySelector<HTMLElement>('[data-timeline]')
  if (!data || !summaryAt || !timelineAt) return
  const eventsAt = root.querySelector<HTMLElement>('[data-events]')
  const moreNote = root.querySelector<HTMLElement>('[data-events-more]')
  const { table } = data
  let deployment = data.deployment
  const events: TimelineEvent[] = data.events
  const seen = new Set(events.map((e) => e.id))
  let truncated = data.truncated
  let items = table.items
  /** The matches of the table's filters, as the page counted them, and those that came since. */
  let total = table.total
  let model = buildTimeline(events, { final: isTerminal(deployment.status) })
  let view: TimeView = fitView(model.extent)
  let mode: ViewMode = 'fit'
  let drag: { x: number; view: TimeView; scale: number } | null = null

  const move = (next: TimeView, nextMode: ViewMode = 'manual') => {
    view = next
    mode = nextMode
    drawTimeline()
  }
  /** Zooming while following keeps following, anchored at the last event; otherwise the window is the viewer's. */
  const zoom = (factor: number, center?: number) => {
    const whole = fitView(model.extent)
    if (mode === 'follow') return move(followView(zoomView(view, factor, model.extent, model.extent.end), model.extent), 'follow')
    const next = zoomView(view, factor, model.extent, center)
    move(next, next.from === whole.from && next.to === whole.to ? 'fit' : 'manual')
  }
  const controls: Controls = {
    zoomIn: () => zoom(0.5),
    zoomOut: () => zoom(2),
    earlier: () => move(panView(view, -0.25, model.extent)),
    later: () => move(panView(view, 0.25, model.extent)),
    fit: () => move(fitView(model.extent), 'fit'),
    follow: () => move(followView(view, model.extent), 'follow'),
  }
  /** The chart's x (its own units) under a pointer. */
  const unitsOf = (svg: SVGSVGElement, clientX: number) => {
    const box = svg.getBoundingClientRect()
    return ((clientX - box.left) * WIDTH) / (box.width || WIDTH)
  }
  const chart = {
    tabindex: 0,
    onKeyDown(e: KeyboardEvent) {
      const action = { '+': controls.zoomIn, '=': controls.zoomIn, '-': controls.zoomOut, _: controls.zoomOut, ArrowLeft: controls.earlier, ArrowRight: controls.later, '0': controls.fit, Home: controls.fit, End: controls.follow }[e.key]
      if (!action || e.altKey || e.ctrlKey || e.metaKey) return
      e.preventDefault()
      action()
    },
    // Ctrl + wheel zooms around the pointer, a sideways wheel (or Shift + wheel) pans; a plain wheel scrolls the page.
    onWheel(e: WheelEvent) {
      const svg = e.currentTarget as SVGSVGElement
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault()
        zoom(e.deltaY < 0 ? 0.8 : 1.25, timeAt(unitsOf(svg, e.clientX), view))
      } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        e.preventDefault()
        const delta = e.shiftKey ? e.deltaY : e.deltaX
        move(panView(view, Math.sign(delta) * 0.1, model.extent))
      }
    },
    onPointerDown(e: PointerEvent) {
      if (e.button !== 0) return
      const svg = e.currentTarget as SVGSVGElement
      const box = svg.getBoundingClientRect()
      drag = { x: e.clientX, view, scale: WIDTH / (box.width || WIDTH) }
      svg.setPointerCapture(e.pointerId)
    },
    onPointerMove(e: PointerEvent) {
      if (!drag) return
      const units = (e.clientX - drag.x) * drag.scale
      if (Math.abs(units) < 3 && mode !== 'manual') return
      const shift = (-units / PLOT_W) * (drag.view.to - drag.view.from)
      move(clampView({ from: drag.view.from + shift, to: drag.view.to + shift }, model.extent))
    },
    onPointerUp() {
      drag = null
    },
    onPointerCancel() {
      drag = null
    },
  }

  function drawTimeline() {
    render(<TimelinePanel model={model} view={view} mode={mode} controls={controls} chart={chart} truncated={truncated ? { drawn: events.length, total: deployment.event_count } : null} />, timelineAt!)
  }
  function drawSummary() {
    render(<DeploymentSummary d={deployment} now={Date.now()} filters={table.filters} />, summaryAt!)
  }
  function drawTable() {
    const filtered = table.filters.type !== '' || table.filters.step_id !== ''
    if (eventsAt) render(<EventsBlock items={items} total={total} originMs={model.originMs} filtered={filtered} paged={table.paged} />, eventsAt)
  }

  let pending: ReturnType<typeof setTimeout> | null = null
  /** Rebuilds the model and redraws everything, once per REDRAW_MS at most. */
  const redraw = () => {
    if (pending !== null) return
    pending = setTimeout(() => {
      pending = null
      model = buildTimeline(events, { final: isTerminal(deployment.status) })
      if (mode === 'fit') view = fitView(model.extent)
      else if (mode === 'follow') view = followView(view, model.extent)
      drawSummary()
      drawTimeline()
      drawTable()
    }, REDRAW_MS)
  }

  /** A new event joins the table when it belongs on this page: the last page, matching, with room, not before it. */
  function addToTable(event: EventItem) {
    if (!matchesFilters(event, table.filters)) return
    total++
    if (!eventsAt || !table.last || items.some((e) => e.id === event.id)) return
    const at = Date.parse(event.event_timestamp)
    if (table.paged && items.length > 0 && at < Date.parse(items[0]!.event_timestamp)) return
    if (items.length >= table.limit) {
      if (moreNote) moreNote.hidden = false
      return
    }
    items = [...items, event].sort((a, b) => Date.parse(a.event_timestamp) - Date.parse(b.event_timestamp))
  }

  for (const [at, draw] of [
    [summaryAt, drawSummary],
    [timelineAt, drawTimeline],
    [eventsAt, drawTable],
  ] as const) {
    if (!at) continue
    at.textContent = ''
    draw()
  }

  showLiveState(root, 'connecting')
  const source = new EventSource(`${path('/api/deployments', deployment.id, 'events', 'stream')}?after=${data.after}`)
  source.onopen = () => showLiveState(root, 'live')
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) return showLiveState(root, 'reconnecting')
    const note = root.querySelector<HTMLElement>('[data-live-state]')
    if (note) note.textContent = 'Live updates are unavailable: reload the page to try again.'
  }
  const applyStatus = (message: MessageEvent) => {
    deployment = { ...deployment, ...(JSON.parse(message.data) as Partial<typeof deployment>) }
    redraw()
  }
  source.addEventListener('status', applyStatus)
  source.addEventListener('end', (message) => {
    source.close()
    applyStatus(message)
    showLiveState(root, 'ended')
  })
  source.onmessage = (message) => {
    const event = JSON.parse(message.data) as EventItem
    const arrival = Number(message.lastEventId)
    if (arrival > deployment.event_count) deployment = { ...deployment, event_count: arrival }
    // The page's lists may already hold events that arrived after the count it resumes from.
    if (seen.has(event.id)) return
    seen.add(event.id)
    if (events.length < CLIENT_MAX) events.push(timelineEventOf(event))
    else truncated = true
    addToTable(event)
    redraw()
  }
}
