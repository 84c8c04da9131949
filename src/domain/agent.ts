// Agents (docs/api.md §4): their statuses, and which satellites an agent serves. Pure.

/** What an agent says it is doing (telemetry `status`); `idle` on registering. */
export const AGENT_STATUSES = ['idle', 'executing', 'transferring', 'offline'] as const
export type AgentStatus = (typeof AGENT_STATUSES)[number]

/**
 * The satellite IDs a polling agent matches: its registered satellite_id; if it registered none, its
 * agent_id without a leading `sat-`, or the agent_id itself.
 */
export function satellitesOf(agent: { id: string; satelliteId: string | null }): string[] {
  if (agent.satelliteId) return [agent.satelliteId]
  const stripped = agent.id.startsWith('sat-') ? agent.id.slice(4) : agent.id
  return stripped === agent.id ? [agent.id] : [stripped, agent.id]
}
