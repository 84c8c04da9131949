// The example Prometheus rules (docs/prometheus/alerts.yml, docs/alerts.md): valid YAML in the rule-file
// shape, and every ground_console_* metric they use is one GET /metrics really exposes (src/metrics.ts).
// promtool is not installed here; `promtool check rules docs/prometheus/alerts.yml` checks the PromQL itself.
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { createMetrics } from '../../src/metrics'

const ROOT = join(import.meta.dir, '../..')
type Rule = { alert?: string; expr?: unknown; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }

test('docs/prometheus/alerts.yml: rule groups of named alerts, each with an expression, a severity and a summary', async () => {
  const doc = Bun.YAML.parse(await Bun.file(join(ROOT, 'docs/prometheus/alerts.yml')).text()) as { groups: { name: string; rules: Rule[] }[] }
  expect(Array.isArray(doc.groups)).toBe(true)
  const rules = doc.groups.flatMap((g) => g.rules)
  expect(rules.length).toBeGreaterThanOrEqual(6)
  const names = new Set<string>()
  for (const rule of rules) {
    expect(rule.alert).toMatch(/^[A-Z][A-Za-z]+$/)
    names.add(rule.alert!)
    expect(typeof rule.expr).toBe('string')
    // Brackets balance (a cheap stand-in for promtool's parser).
    let depth = 0
    for (const c of rule.expr as string) {
      if ('([{'.includes(c)) depth++
      if (')]}'.includes(c)) depth--
      expect(depth).toBeGreaterThanOrEqual(0)
    }
    expect(depth).toBe(0)
    if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/)
    expect(['page', 'warn']).toContain(rule.labels?.severity ?? '')
    expect(rule.annotations?.summary?.length).toBeGreaterThan(0)
  }
  expect(names.size).toBe(rules.length)
  // What the issue asks the examples to cover.
  const exprs = rules.map((r) => r.expr as string).join('\n')
  for (const metric of ['ground_console_deployments{status="failed"}', 'ground_console_wal_flush_duration_seconds_bucket', 'ground_console_wal_bytes', 'ground_console_database_bytes', 'ground_console_agents'])
    expect(exprs).toContain(metric)
})

test('every ground_console_* metric the rules and docs/alerts.md name is exposed by /metrics', async () => {
  const exposition = await createMetrics().render()
  const types = new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]))
  expect(types.size).toBeGreaterThan(5)
  const text = (await Bun.file(join(ROOT, 'docs/prometheus/alerts.yml')).text()) + (await Bun.file(join(ROOT, 'docs/alerts.md')).text())
  const used = new Set([...text.matchAll(/\bground_console_[a-z_]+/g)].map((m) => m[0]))
  expect(used.size).toBeGreaterThan(5)
  for (const name of used) {
    const base = name.replace(/_(bucket|sum|count)$/, '')
    const known = types.get(name) ?? (base !== name && types.get(base) === 'histogram' ? 'histogram' : undefined)
    expect({ name, known: known !== undefined }).toEqual({ name, known: true })
  }
})
