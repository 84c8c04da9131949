// News from the other nodes (docs/streams.md "Several nodes"): on PostgreSQL each node hears, through the
// store (LISTEN/NOTIFY), what another node committed — the deployment, the arrival numbers it stored,
// whether its status moved or its owner's list changed — and tells its own live streams.
// - Events: read once per notice from the database (one range of the deployment's arrival order) and
//   published on the bus as this node's own news would be, with the status after them: however many
//   streams of the deployment this node has, one read. Notices of one deployment are handled one after
//   another, in the order they came (commit order); a stream that finds a gap reads the database itself
//   (src/http/streams.ts), so nothing is skipped or sent twice whatever the order.
// - Anything else (a cancel, a dispatch, a list change): the listeners read the database themselves.
// Only deployments this node has listeners for cost a read. When the watch is lost and made again, every
// open stream reads the database again: notices sent meanwhile are gone. A watch that cannot be started
// is tried again, with back-off. On SQLite one server writes the file and there is nothing to hear.
import { errorDetail, type Logger } from '../log'
import type { NodeNews, Store } from '../store/types'
import type { Bus, NewsItem, PublishedEvent } from './bus'

/** The longest wait between two tries to start the watch. */
const RETRY_MAX_MS = 30_000

export type NodeNewsRelay = ReturnType<typeof createNodeNews>

export function createNodeNews({ store, bus, log }: { store: Store; bus: Bus; log: Logger }) {
  let stopWatching: (() => Promise<void>) | null = null
  let stopped = false
  let retry: ReturnType<typeof setTimeout> | undefined
  /** Per deployment, the relay of its notices so far: the next one waits for it. */
  const chains = new Map<string, Promise<void>>()

  /** Reads what the notice names and publishes it as news of this node's own. */
  async function relay(news: NodeNews) {
    const { userId, deploymentId, events } = news
    if (!events) return bus.publishDeploymentElsewhere(userId, deploymentId)
    const rows = await store.listEventsByArrival(deploymentId, events.from - 1, events.to - events.from + 1)
    const items: NewsItem[] = rows.map((row) => ({ kind: 'event', event: row as PublishedEvent }))
    if (news.status) {
      const deployment = await store.getDeployment(userId, deploymentId)
      if (deployment) items.push({ kind: 'status', afterArrival: events.to, status: deployment.status, startedAt: deployment.startedAt, completedAt: deployment.completedAt })
    }
    bus.publishDeployment({ userId, deploymentId, items })
  }

  function hear(news: NodeNews) {
    if (news.changed) bus.publishChangesElsewhere(news.userId)
    if (!(news.events || news.status) || !bus.hasDeploymentListeners(news.deploymentId)) return
    const id = news.deploymentId
    const next = (chains.get(id) ?? Promise.resolve())
      .then(() => relay(news))
      .catch((error: unknown) => {
        // Not read (the database did not answer): the streams read it themselves when they can.
        log.warn('could not read another node’s news; its streams read the database themselves', { deployment: id, error: errorDetail(error) })
        bus.publishDeploymentElsewhere(news.userId, id)
      })
      .finally(() => {
        if (chains.get(id) === next) chains.delete(id)
      })
    chains.set(id, next)
  }

  async function start(attempt = 0): Promise<void> {
    if (stopWatching || stopped) return
    try {
      stopWatching = await store.watchOtherNodes(hear, () => {
        log.warn('the watch on the other nodes’ news was lost and made again; open streams read the database again')
        bus.publishElsewhereToAll()
      })
      // Whatever was committed while the watch was not there is for the streams to read.
      if (attempt > 0) bus.publishElsewhereToAll()
    } catch (error) {
      const wait = Math.min(RETRY_MAX_MS, 500 * 2 ** attempt)
      log.error('could not listen to the other nodes; trying again', { inMs: wait, error: errorDetail(error) })
      retry = setTimeout(() => void start(attempt + 1), wait)
      retry.unref?.()
    }
  }

  return {
    /** Starts hearing the other nodes (again and again until it works). */
    start: () => start(),
    async stop() {
      stopped = true
      clearTimeout(retry)
      const stop = stopWatching
      stopWatching = null
      await stop?.().catch(() => {})
    },
  }
}
