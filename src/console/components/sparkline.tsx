/** @jsxImportSource preact */
// A sparkline: a small hand-made SVG of one reading over time (battery, temperature), with its text
// alternative — latest, lowest and highest — as the SVG's <title> and aria-label (docs/console.md
// "Agents"). Only numbers reach the SVG's attributes; every word goes through Preact's escaping. No
// style attribute: colour comes from a class (console.css) through currentColor.

export type SparkPoint = { at: number; value: number }

export type SparkSummary = { latest: number; min: number; max: number; count: number; from: number; to: number }

const round = (n: number, digits = 1) => {
  const factor = 10 ** digits
  return Math.round(n * factor) / factor
}

/** The summary of chronological points, or null when there are none. */
export function summarize(points: SparkPoint[]): SparkSummary | null {
  if (points.length === 0) return null
  let min = Infinity
  let max = -Infinity
  for (const p of points) {
    if (p.value < min) min = p.value
    if (p.value > max) max = p.value
  }
  return { latest: points[points.length - 1]!.value, min, max, count: points.length, from: points[0]!.at, to: points[points.length - 1]!.at }
}

/** A reading with its unit: `82 %`, `-34.2 °C`. */
export function reading(value: number, unit: string): string {
  return `${round(value)}${unit === '%' ? ' %' : ` ${unit}`}`
}

/** The words a screen reader (and a hover) gets: `Battery, last 50 samples: latest 82 %, lowest 70 %, highest 95 %`. */
export function sparkText(label: string, unit: string, summary: SparkSummary | null): string {
  if (!summary) return `${label}: no samples`
  const samples = summary.count === 1 ? '1 sample' : `last ${summary.count} samples`
  return `${label}, ${samples}: latest ${reading(summary.latest, unit)}, lowest ${reading(summary.min, unit)}, highest ${reading(summary.max, unit)}`
}

/**
 * The polyline's points in a width × height box with `pad` around: x by time (by order when every
 * point shares one instant), y from the lowest value (bottom) to the highest (top); a flat series sits
 * in the middle.
 */
export function sparkPoints(points: SparkPoint[], width: number, height: number, pad = 2): Array<[number, number]> {
  const summary = summarize(points)
  if (!summary) return []
  const span = summary.to - summary.from
  const range = summary.max - summary.min
  const w = width - 2 * pad
  const h = height - 2 * pad
  return points.map((p, i) => {
    const x = span > 0 ? pad + ((p.at - summary.from) / span) * w : points.length === 1 ? width / 2 : pad + (i / (points.length - 1)) * w
    const y = range > 0 ? pad + (1 - (p.value - summary.min) / range) * h : height / 2
    return [round(x), round(y)]
  })
}

type SparklineProps = {
  /** Chronological. */
  points: SparkPoint[]
  label: string
  unit: string
  /** A console.css class that sets the colour: `spark-battery`, `spark-temperature`. */
  kind: string
  width?: number
  height?: number
}

export function Sparkline({ points, label, unit, kind, width = 120, height = 28 }: SparklineProps) {
  const summary = summarize(points)
  const text = sparkText(label, unit, summary)
  if (!summary) return <span class="muted spark-none">no history</span>
  const xy = sparkPoints(points, width, height)
  const last = xy[xy.length - 1]!
  return (
    <svg class={`spark ${kind}`} viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={text} data-spark={kind}>
      <title>{text}</title>
      {xy.length > 1 && (
        <polyline
          points={xy.map(([x, y]) => `${x},${y}`).join(' ')}
          fill="none"
          stroke="currentColor"
          stroke-width="1.5"
          stroke-linejoin="round"
          stroke-linecap="round"
        />
      )}
      <circle cx={last[0]} cy={last[1]} r="2.5" fill="currentColor" />
    </svg>
  )
}
