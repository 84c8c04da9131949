// The deployments island's filter (src/console/client/deployments.tsx `matches`): a streamed deployment stays
// in, joins or leaves the live list as the API's list would answer it — the archive filter included, since an
// archive or a restore comes down the list stream like any change (docs/console.md "Archiving").
import { expect, test } from 'bun:test'
import { matches } from '../../src/console/client/deployments'
import type { DeploymentItem } from '../../src/console/components/deployment-table'

const item = (extra: Partial<DeploymentItem> = {}): DeploymentItem => ({
  id: 'dep-1',
  mission_id: 'mis-1',
  plan_id: 'plan-1',
  satellite_id: '25544',
  status: 'completed',
  mode: 'live',
  speed_multiplier: 100,
  started_at: null,
  completed_at: null,
  created_at: '2026-03-07T12:00:00Z',
  mission_name: 'm',
  plan_label: 'p',
  agent_id: null,
  dispatched_at: null,
  event_count: 0,
  archived_at: null,
  ...extra,
})
const none = { status: '', mission_id: '', mode: '', archived: '' }

test('archived deployments: out by default and with exclude, in with include, alone with only', () => {
  const archived = item({ archived_at: '2026-03-07T12:05:00Z' })
  const kept = item()
  for (const filter of ['', 'exclude']) {
    expect(matches(archived, { ...none, archived: filter })).toBe(false)
    expect(matches(kept, { ...none, archived: filter })).toBe(true)
  }
  expect(matches(archived, { ...none, archived: 'include' })).toBe(true)
  expect(matches(kept, { ...none, archived: 'include' })).toBe(true)
  expect(matches(archived, { ...none, archived: 'only' })).toBe(true)
  expect(matches(kept, { ...none, archived: 'only' })).toBe(false)
  // With the other filters still applied.
  expect(matches(archived, { ...none, archived: 'only', status: 'failed' })).toBe(false)
})
