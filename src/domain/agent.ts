// Agents (docs/api.md §4): which satellites an agent serves. Pure.

/**
 * The satellite IDs a polling agent matches: its registered satellite_id; if it registered none, its
 * agent_id without a leading `sat-`, or the agent_id itself.
 */
export function satellitesOf(agent: { id: string; satelliteId: string | null }): string[] {
  if (agent.satelliteId) return [agent.satelliteId]
  const stripped = agent.id.startsWith('sat-') ? agent.id.slice(4) : agent.id
  return stripped === agent.id ? [agent.id] : [stripped, agent.id]
}
