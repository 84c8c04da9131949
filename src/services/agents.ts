// The agent protocol's use cases (docs/api.md §4): presence, registration, polling for work, telemetry.
import { satellitesOf } from '../domain/agent'
import { AppError } from '../domain/errors'
import { parseStoredPlan, playOrder, toAgentEvent } from '../domain/plan'
import type { Clock } from '../domain/time'
import type { AgentRegistration, Store } from '../store/types'
import type { AgentStatus } from '../domain/agent'
import { describeError, type Failures } from './failures'
import type { Reports } from './reports'

/** last_seen_at is written at most this often per agent from event reports (the hot path). */
const SEEN_RESOLUTION_MICROS = 1_000_000
/** Deployments whose workload cannot be built that one poll fails before it answers; the next poll goes on. */
const UNBUILDABLE_PER_POLL = 10

export type AgentService = ReturnType<typeof createAgentService>

export function createAgentService({ store, clock, failures, reports }: { store: Store; clock: Clock; failures: Failures; reports: Reports }) {
  const lastWritten = new Map<string, number>()

  return {
    /** Called on every agent request: creates an unknown agent, moves last_seen_at (to the second). */
    async seen(userId: string, agentId: string) {
      const key = `${userId}\n${agentId}`
      const now = clock()
      if (now - (lastWritten.get(key) ?? Number.NEGATIVE_INFINITY) < SEEN_RESOLUTION_MICROS) return
      await store.touchAgent(userId, agentId, now)
      if (lastWritten.size > 100_000) lastWritten.clear()
      lastWritten.set(key, now)
    },

    /**
     * Deletes the agent and its telemetry (docs/api.md §4 "Deleting an agent"); false when unknown. Its
     * next request is a first contact again: the last_seen_at write it would skip is forgotten too.
     */
    async remove(userId: string, agentId: string) {
      const deleted = await store.deleteAgent(userId, agentId)
      lastWritten.delete(`${userId}\n${agentId}`)
      return deleted
    },

    register(userId: string, agentId: string, fields: AgentRegistration) {
      return store.registerAgent(userId, agentId, fields, clock())
    },

    /**
     * The WorkloadSpec, as JSON text, of the deployment handed to this agent, or null when there is no work.
     * A deployment whose plan cannot be built into one is failed with a stored reason, and the next one
     * is tried: a bad plan never blocks the satellite's queue.
     */
    async poll(userId: string, agentId: string): Promise<string | null> {
      const now = clock()
      const agent = await store.touchAgent(userId, agentId, now)
      for (let attempt = 0; attempt < UNBUILDABLE_PER_POLL; attempt++) {
        // Built inside the dispatch transaction, before anything is written, and serialised there too:
        // whatever could fail fails before the deployment is handed out.
        const outcome = await store.dispatchNext(userId, agentId, satellitesOf(agent), now, (deployment, planData) => {
          const events = parseStoredPlan(planData)
          return `{"plan_id":${JSON.stringify(deployment.planId)},"deployment_id":${JSON.stringify(deployment.id)},"satellite_id":${JSON.stringify(deployment.satelliteId)},"plan_data":${planData},"events":${JSON.stringify(playOrder(events).map((event) => toAgentEvent(event, deployment.dispatchedAt!, deployment.id)))}}`
        }, reports.changed)
        if (outcome.kind === 'none') return null
        if (outcome.kind === 'dispatched') return outcome.value
        const { deployment, error } = outcome
        try {
          await failures.fail({ userId, deploymentId: deployment.id }, 'plan_invalid', `its plan cannot be built into a workload: ${describeError(error)}`)
        } catch (failure) {
          // Cancelled (or gone) since it was picked: nothing to fail, go on to the next one.
          if (!(failure instanceof AppError && (failure.code === 'CONFLICT' || failure.code === 'NOT_FOUND'))) throw failure
        }
      }
      return null
    },

    telemetry(userId: string, agentId: string, sample: { status?: AgentStatus; json: string }) {
      return store.recordTelemetry(userId, agentId, sample, clock())
    },
  }
}
