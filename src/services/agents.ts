// The agent protocol's use cases (api.md §4): presence, registration, polling for work, telemetry.
import { satellitesOf } from '../domain/agent'
import { parseJsonExact } from '../domain/json'
import { playOrder, toAgentEvent, type PlanEvent } from '../domain/plan'
import type { Clock } from '../domain/time'
import type { AgentRegistration, Store } from '../store/types'
import type { AgentStatus } from '../db/schema'

/** last_seen_at is written at most this often per agent from event reports (the hot path). */
const SEEN_RESOLUTION_MICROS = 1_000_000

export type AgentService = ReturnType<typeof createAgentService>

export function createAgentService({ store, clock }: { store: Store; clock: Clock }) {
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

    register(userId: string, agentId: string, fields: AgentRegistration) {
      return store.registerAgent(userId, agentId, fields, clock())
    },

    /** The WorkloadSpec of the deployment handed to this agent, or null when there is no work. */
    async poll(userId: string, agentId: string) {
      const now = clock()
      const agent = await store.touchAgent(userId, agentId, now)
      // Built inside the dispatch transaction: if building fails, the deployment stays pending.
      return store.dispatchNext(userId, agentId, satellitesOf(agent), now, (deployment, planData) => {
        const plan = parseJsonExact(planData) as { events: PlanEvent[] }
        return {
          plan_id: deployment.planId,
          deployment_id: deployment.id,
          satellite_id: deployment.satelliteId,
          plan_data: plan,
          events: playOrder(plan.events).map((event) => toAgentEvent(event, deployment.dispatchedAt!, deployment.id)),
        }
      })
    },

    telemetry(userId: string, agentId: string, sample: { status?: AgentStatus; json: string }) {
      return store.recordTelemetry(userId, agentId, sample, clock())
    },
  }
}
