// The timeline's time window, as in Open MCT's time conductor: which mission seconds the chart shows, and
// the pure moves on it (zoom, pan, fit, follow). Shared by the server (always "fit") and the island.

export type TimeView = { from: number; to: number }
export type Extent = { start: number; end: number }

/** The narrowest window: the axis counts whole seconds (format.clock). */
export const MIN_SPAN = 2

/** The whole run. */
export function fitView(extent: Extent): TimeView {
  const span = Math.max(extent.end - extent.start, MIN_SPAN)
  return { from: extent.start, to: extent.start + span }
}

/** Keeps a window's span (within MIN_SPAN and the run's) and moves it inside the run. */
export function clampView(view: TimeView, extent: Extent): TimeView {
  const whole = fitView(extent)
  const wanted = view.to - view.from
  const span = Number.isFinite(wanted) ? Math.min(Math.max(wanted, MIN_SPAN), whole.to - whole.from) : whole.to - whole.from
  let from = Number.isFinite(view.from) ? view.from : whole.from
  if (from + span > whole.to) from = whole.to - span
  if (from < whole.from) from = whole.from
  return { from, to: from + span }
}

/** Zooms by `factor` (< 1 in, > 1 out) around `center` (default the middle), which stays in place. */
export function zoomView(view: TimeView, factor: number, extent: Extent, center = (view.from + view.to) / 2): TimeView {
  const span = view.to - view.from
  const whole = fitView(extent)
  const next = Math.min(Math.max(span * factor, MIN_SPAN), whole.to - whole.from)
  const from = center - (center - view.from) * (next / span)
  return clampView({ from, to: from + next }, extent)
}

/** Moves the window by `fraction` of its span (negative: earlier). */
export function panView(view: TimeView, fraction: number, extent: Extent): TimeView {
  const shift = (view.to - view.from) * fraction
  return clampView({ from: view.from + shift, to: view.to + shift }, extent)
}

/** The same span, ending at the last event: what "follow live" shows as the run grows. */
export function followView(view: TimeView, extent: Extent): TimeView {
  const span = view.to - view.from
  return clampView({ from: extent.end - span, to: extent.end }, extent)
}

const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400]

/** A tick step that gives about `count` ticks over `span` seconds: whole seconds, minutes, hours, days. */
export function tickStep(span: number, count = 8): number {
  const wanted = span / count
  for (const step of STEPS) if (step >= wanted) return step
  // Beyond a day: days × 1, 2, 5 × 10^k.
  const days = wanted / 86_400
  const power = 10 ** Math.floor(Math.log10(days))
  for (const m of [1, 2, 5, 10]) if (m * power >= days) return m * power * 86_400
  return 10 * power * 86_400
}

/** The ticks of a window (at most a few dozen, whatever the window). */
export function axisTicks(view: TimeView, count = 8): number[] {
  const step = tickStep(view.to - view.from, count)
  const ticks: number[] = []
  for (let t = Math.ceil(view.from / step) * step; t <= view.to && ticks.length < 4 * count; t += step) ticks.push(t)
  return ticks
}
