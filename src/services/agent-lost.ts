// Lost agents (docs/operations.md "Lost agents"): with `--agent-lost-after D`, a periodic sweep finds the
// agents not seen for D and sets their lost_at once per silence (cleared by the agent's next request,
// src/store/sqlite/agents.ts). Under `--agent-lost-policy fail` it first fails the agent's dispatched and
// running deployments through the failures service (a stored job.failed `{reason: "agent_lost", message}`,
// docs/api.md §2.1 last row), then marks it: a crash between the two leaves the agent unmarked, so the next
// sweep does both again (the failure's key stores it once). Then it tells `onAgentLost` (the alerts).
// Paged in small batches with a turn of the event loop between them, like the retention sweep.
// The server's own downtime is no agent's silence: an agent is lost once it has not been seen for the
// duration *while this server ran*, so nothing is found lost before the server has been up that long (a
// restart after an outage longer than the duration would otherwise find every agent lost, and under
// `fail` end every live deployment).
import { AppError } from '../domain/errors'
import { formatTimestamp, type Clock } from '../domain/time'
import type { Logger } from '../log'
import type { AgentRef, Store } from '../store/types'
import { nextTurn } from '../turn'
import type { Failures } from './failures'
import { periodic } from './periodic'

export const AGENT_LOST_POLICIES = ['flag', 'fail'] as const
export type AgentLostPolicy = (typeof AGENT_LOST_POLICIES)[number]
export type AgentLostOptions = {
  /** Not seen for this long (microseconds): lost. Null: never (the default). */
  afterMicros: number | null
  policy: AgentLostPolicy
}
/** Told once per agent found lost (webhooks connect here: `agent.lost`); its failure is logged, never fatal. */
/** Told of an agent found lost at `at`, last seen at `lastSeenAt`. */
export type OnAgentLost = (userId: string, agentId: string, at: number, lastSeenAt: number) => void | Promise<void>

export const AGENT_LOST_SWEEP_EVERY_MS = 15_000
export const AGENT_LOST_BATCH = 100

/** `waiting`: the server has not been up for the duration yet, so nobody was judged. */
export type AgentLostSweep = { lost: number; failedDeployments: number; waiting?: true }
export type AgentLostSweeper = ReturnType<typeof createAgentLostSweeper>

export function createAgentLostSweeper({
  store,
  clock,
  log,
  failures,
  options,
  onAgentLost,
  everyMs = AGENT_LOST_SWEEP_EVERY_MS,
  batch = AGENT_LOST_BATCH,
}: {
  store: Store
  clock: Clock
  log: Logger
  failures: Failures
  options: AgentLostOptions
  onAgentLost?: OnAgentLost
  everyMs?: number
  batch?: number
}) {
  const afterMicros = options.afterMicros
  /** Since when this server has been watching (its start): silence before it is not counted. */
  const watchingSince = clock()

  /** Fails one deployment of the lost agent; false when it ended (or went) meanwhile. */
  async function failDeployment(userId: string, deploymentId: string, agentId: string, lastSeenAt: number) {
    try {
      await failures.fail({ userId, deploymentId }, 'agent_lost', `agent ${agentId} was not seen since ${formatTimestamp(lastSeenAt)} (--agent-lost-after)`)
      return true
    } catch (error) {
      if (error instanceof AppError && (error.code === 'CONFLICT' || error.code === 'NOT_FOUND')) return false
      throw error
    }
  }

  const stillSilent = async (agent: AgentRef, cutoff: number) => {
    const now = await store.getAgent(agent.userId, agent.id)
    return now !== null && now.lostAt === null && now.lastSeenAt < cutoff
  }

  async function handle(agent: AgentRef & { lastSeenAt: number }, cutoff: number, now: number, result: AgentLostSweep) {
    if (options.policy === 'fail') {
      for (const deploymentId of await store.listAgentLiveDeployments(agent.userId, agent.id)) {
        // Looked at again before each failure (each waits for a durable commit, during which the agent may
        // report): an agent seen since it was listed keeps its deployments. Failures come before the flag,
        // so that a crash between the two leaves the agent unflagged and the next sweep finishes the job.
        if (!(await stillSilent(agent, cutoff))) return
        if (await failDeployment(agent.userId, deploymentId, agent.id, agent.lastSeenAt)) result.failedDeployments++
      }
    }
    // Seen again since it was listed: not lost after all (a deployment failed above, before it came back, stays failed).
    if (!(await store.markAgentLost(agent.userId, agent.id, cutoff, now))) return
    result.lost++
    log.warn('agent lost: not seen for --agent-lost-after', { user: agent.userId, agent: agent.id, lastSeenAt: formatTimestamp(agent.lastSeenAt), policy: options.policy })
    try {
      await onAgentLost?.(agent.userId, agent.id, now, agent.lastSeenAt)
    } catch (error) {
      log.error('the agent-lost hook failed', { agent: agent.id, error: String(error) })
    }
  }

  const job = periodic({
    everyMs,
    log,
    failed: 'the lost-agent sweep failed; it runs again later',
    done: (r: AgentLostSweep) => {
      if (r.lost > 0) log.info('lost agents found', { agents: r.lost, failedDeployments: r.failedDeployments })
      else log.debug?.('lost-agent sweep: none lost', { waitingForUptime: r.waiting ?? false })
    },
    async work() {
      const result: AgentLostSweep = { lost: 0, failedDeployments: 0 }
      if (afterMicros === null) return result
      const now = clock()
      const cutoff = now - afterMicros
      if (cutoff <= watchingSince) return { ...result, waiting: true as const }
      let after: AgentRef | null = null
      while (!job.stopped) {
        const silent = await store.listSilentAgents(cutoff, after, batch)
        for (const agent of silent) {
          if (job.stopped) break
          await handle(agent, cutoff, now, result)
        }
        if (silent.length < batch) break
        after = silent[silent.length - 1]!
        await nextTurn()
      }
      return result
    },
  })

  return {
    /** One full sweep; a sweep already running is joined. */
    sweep: job.run,
    enabled: afterMicros !== null,
    start() {
      if (afterMicros !== null) job.start()
    },
    stop: job.stop,
  }
}
