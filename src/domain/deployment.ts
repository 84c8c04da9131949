// Deployment statuses, modes and the transition table of docs/api.md §2.1. Pure: no I/O, no framework.
import { AppError } from './errors'

export const DEPLOYMENT_STATUSES = ['pending', 'dispatched', 'running', 'completed', 'failed', 'cancelled'] as const
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number]

export const DEPLOYMENT_MODES = ['simulated', 'live'] as const
export type DeploymentMode = (typeof DEPLOYMENT_MODES)[number]

export const TERMINAL_STATUSES: ReadonlySet<DeploymentStatus> = new Set(['completed', 'failed', 'cancelled'])
/** The statuses in which a deployment is its agent's to carry out: what a lost agent leaves behind (docs/operations.md "Lost agents"). */
export const HELD_BY_AGENT_STATUSES = ['dispatched', 'running'] as const satisfies readonly DeploymentStatus[]
export const isTerminal = (status: DeploymentStatus) => TERMINAL_STATUSES.has(status)

/**
 * What can move a deployment: an agent's poll, the server's replay starting or running out of plan events,
 * a reported event, or a user's cancel.
 */
export const TRIGGERS = ['dispatch', 'replay_start', 'replay_end', 'job.accepted', 'job.completed', 'job.failed', 'cancel'] as const
export type Trigger = (typeof TRIGGERS)[number]

type Rule = { to: DeploymentStatus; mode?: DeploymentMode }

// Every status must be listed, so adding a status does not compile until its row is decided.
const TRANSITIONS = {
  pending: {
    dispatch: { to: 'dispatched', mode: 'live' },
    replay_start: { to: 'running', mode: 'simulated' },
    'job.accepted': { to: 'running' },
    'job.completed': { to: 'completed' },
    'job.failed': { to: 'failed' },
    cancel: { to: 'cancelled' },
  },
  dispatched: {
    'job.accepted': { to: 'running' },
    'job.completed': { to: 'completed' },
    'job.failed': { to: 'failed' },
    cancel: { to: 'cancelled' },
  },
  running: {
    // A plan that ends without job.completed/job.failed still ends its simulated deployment (docs/api.md §5).
    replay_end: { to: 'completed', mode: 'simulated' },
    'job.completed': { to: 'completed' },
    'job.failed': { to: 'failed' },
    cancel: { to: 'cancelled' },
  },
  completed: {},
  failed: {},
  cancelled: {},
} satisfies Record<DeploymentStatus, Partial<Record<Trigger, Rule>>>

/** The server-set timestamp fields a transition may fill in. */
export type StampedField = 'dispatched_at' | 'started_at' | 'completed_at'

export type Transition = { from: DeploymentStatus; to: DeploymentStatus; stamps: StampedField[] }

/** Decides the transition a trigger causes, or null when the table has no such row (the status stays). */
export function decideTransition(
  current: { status: DeploymentStatus; mode: DeploymentMode },
  trigger: Trigger,
): Transition | null {
  const rule: Rule | undefined = (TRANSITIONS[current.status] as Partial<Record<Trigger, Rule>>)[trigger]
  if (!rule || (rule.mode && rule.mode !== current.mode)) return null
  return { from: current.status, to: rule.to, stamps: stampsFor(rule.to) }
}

function stampsFor(to: DeploymentStatus): StampedField[] {
  if (to === 'dispatched') return ['dispatched_at']
  if (to === 'running') return ['started_at']
  if (isTerminal(to)) return ['completed_at']
  return []
}

/** The trigger an event type carries, if any: only the three job.* lifecycle events move a deployment. */
export function triggerForEventType(type: string): Trigger | null {
  return type === 'job.accepted' || type === 'job.completed' || type === 'job.failed' ? type : null
}

/**
 * Whether an event reporter may write to a deployment (docs/api.md §3.1): only the agent it was dispatched to
 * (403 otherwise), and never to a simulated one, whose events come from the server's own replay (409).
 * The replay itself stops once its deployment is cancelled. The server fails any deployment not cancelled
 * (docs/api.md §2.1, last row): on one already completed or failed its event is stored as late data, moving no
 * status, and still ends the replay.
 */
export function decideReportAccess(
  deployment: { status: DeploymentStatus; mode: DeploymentMode; agentId: string | null },
  reporter: { kind: 'agent'; agentId: string } | { kind: 'replay' } | { kind: 'server' },
): AppError | null {
  if (reporter.kind === 'server')
    return deployment.status === 'cancelled' ? new AppError('CONFLICT', 'deployment was cancelled: there is nothing to fail') : null
  if (reporter.kind === 'replay')
    return deployment.status === 'cancelled' ? new AppError('CONFLICT', 'deployment was cancelled: its replay has stopped') : null
  if (deployment.agentId !== null && deployment.agentId !== reporter.agentId)
    return new AppError('FORBIDDEN', `deployment was dispatched to agent ${deployment.agentId}, not ${reporter.agentId}`)
  if (deployment.mode === 'simulated')
    return new AppError('CONFLICT', 'deployment is simulated: its events come from the server replay, not from agents')
  return null
}

/**
 * Whether reaching this status ends a simulated deployment's replay where it stands: a cancel does (docs/api.md
 * §5 "Cancel stops it"); completed and failed leave the replay to notice the terminal status itself.
 */
export const stopsReplay = (to: DeploymentStatus) => to === 'cancelled'

/**
 * How long a simulated deployment's replay stays leased to the node playing it without a renewal (several
 * nodes on PostgreSQL, docs/postgres.md "Replays"): the node renews every third of it, and another node
 * takes a replay over once its lease has run out — within 8 s of its node's death.
 */
export const REPLAY_LEASE_MICROS = 6_000_000
