import { describe, expect, test } from 'bun:test'
import {
  DEPLOYMENT_MODES,
  DEPLOYMENT_STATUSES,
  TRIGGERS,
  decideReportAccess,
  decideTransition,
  type DeploymentMode,
  type DeploymentStatus,
  type Trigger,
} from '../../src/domain/deployment'

// The whole of docs/api.md §2.1 as rows; any (status, mode, trigger) not listed must be refused.
const ALLOWED: Array<[DeploymentStatus, DeploymentMode | '*', Trigger, DeploymentStatus, string[]]> = [
  ['pending', 'live', 'dispatch', 'dispatched', ['dispatched_at']],
  ['pending', 'simulated', 'replay_start', 'running', ['started_at']],
  ['running', 'simulated', 'replay_end', 'completed', ['completed_at']],
  ['pending', '*', 'job.accepted', 'running', ['started_at']],
  ['dispatched', '*', 'job.accepted', 'running', ['started_at']],
  ['pending', '*', 'job.completed', 'completed', ['completed_at']],
  ['dispatched', '*', 'job.completed', 'completed', ['completed_at']],
  ['running', '*', 'job.completed', 'completed', ['completed_at']],
  ['pending', '*', 'job.failed', 'failed', ['completed_at']],
  ['dispatched', '*', 'job.failed', 'failed', ['completed_at']],
  ['running', '*', 'job.failed', 'failed', ['completed_at']],
  ['pending', '*', 'cancel', 'cancelled', ['completed_at']],
  ['dispatched', '*', 'cancel', 'cancelled', ['completed_at']],
  ['running', '*', 'cancel', 'cancelled', ['completed_at']],
]

function expected(status: DeploymentStatus, mode: DeploymentMode, trigger: Trigger) {
  return ALLOWED.find(([s, m, t]) => s === status && (m === '*' || m === mode) && t === trigger)
}

describe('transition table: every status × mode × trigger', () => {
  for (const status of DEPLOYMENT_STATUSES)
    for (const mode of DEPLOYMENT_MODES)
      for (const trigger of TRIGGERS) {
        const row = expected(status, mode, trigger)
        test(`${status} (${mode}) + ${trigger} → ${row ? row[3] : 'refused'}`, () => {
          const decision = decideTransition({ status, mode }, trigger)
          if (row) expect(decision).toEqual({ from: status, to: row[3], stamps: row[4] as never })
          else expect(decision).toBeNull()
        })
      }

  test('terminal states accept nothing', () => {
    for (const status of ['completed', 'failed', 'cancelled'] as const)
      for (const trigger of TRIGGERS) for (const mode of DEPLOYMENT_MODES) expect(decideTransition({ status, mode }, trigger)).toBeNull()
  })
})

describe('who may report to a deployment', () => {
  test('the dispatched agent may; another agent is FORBIDDEN', () => {
    expect(decideReportAccess({ status: 'dispatched', mode: 'live', agentId: 'sat-1' }, { kind: 'agent', agentId: 'sat-1' })).toBeNull()
    expect(decideReportAccess({ status: 'dispatched', mode: 'live', agentId: 'sat-1' }, { kind: 'agent', agentId: 'sat-2' })?.code).toBe('FORBIDDEN')
  })
  test('any agent may report to a live deployment not yet dispatched', () => {
    expect(decideReportAccess({ status: 'pending', mode: 'live', agentId: null }, { kind: 'agent', agentId: 'x' })).toBeNull()
  })
  test('agents never report to a simulated deployment; the replay may until it is cancelled', () => {
    expect(decideReportAccess({ status: 'running', mode: 'simulated', agentId: null }, { kind: 'agent', agentId: 'x' })?.code).toBe('CONFLICT')
    for (const status of ['running', 'completed', 'failed'] as const)
      expect(decideReportAccess({ status, mode: 'simulated', agentId: null }, { kind: 'replay' })).toBeNull()
    expect(decideReportAccess({ status: 'cancelled', mode: 'simulated', agentId: null }, { kind: 'replay' })?.code).toBe('CONFLICT')
  })
})
