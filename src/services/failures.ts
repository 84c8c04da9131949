// The server failing a deployment it cannot go on with (docs/api.md §2.1, last row): a plan that cannot be
// built or played, or an agent lost under --agent-lost-policy fail (src/services/agent-lost.ts). It stores a `job.failed` event saying why, through the reports service like any report,
// so the status moves in the same transaction, and it logs the reason once.
import { makeEventInput } from '../domain/event'
import type { Clock } from '../domain/time'
import type { Logger } from '../log'
import type { Reports } from './reports'

/** Why the server failed a deployment: its plan, its replay, or its agent lost under --agent-lost-policy fail. */
export type FailureReason = 'plan_invalid' | 'replay_failed' | 'agent_lost'

const SERVER_FAILURE_KEY = 'server failed'

export type Failures = ReturnType<typeof createFailures>

export function createFailures({ reports, clock, log }: { reports: Reports; clock: Clock; log: Logger }) {
  return {
    /**
     * Fails the deployment with a stored job.failed event `{reason, message}`. Its key makes it stored once
     * however often this runs — a key with a space, which no agent can send (Idempotency-Key is visible
     * ASCII), so no report can take its place; a simulated deployment's replay ends with it (`replayCursor`
     * where it stood). Throws CONFLICT when the deployment was cancelled meanwhile.
     */
    async fail(target: { userId: string; deploymentId: string; replayCursor?: number }, reason: FailureReason, message: string) {
      log.warn('deployment failed by the server', { deployment: target.deploymentId, reason, message })
      const now = clock()
      const event = makeEventInput({ type: 'job.failed', timestamp: now, jobId: target.deploymentId, stepId: null, payload: { reason, message } })
      await reports.submit({
        userId: target.userId,
        deploymentId: target.deploymentId,
        reporter: { kind: 'server' },
        events: [{ event, key: SERVER_FAILURE_KEY }],
        now,
        ...(target.replayCursor === undefined ? {} : { replay: { cursor: target.replayCursor, finished: true } }),
      })
    },
  }
}

/** What an error says, for a stored reason: its message, never a stack. */
export const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 500)
