// News from the other nodes (docs/streams.md "Several nodes"): on PostgreSQL, each node hears, through the
// store (LISTEN/NOTIFY), which deployments another node committed news for, and tells its own live
// streams to read it from the database — the notice says where to look, never what happened, so a
// stream never sends anything twice nor skips anything (src/http/streams.ts catches up on a gap). When
// the watch was lost and made again, every open stream reads the database again: notices sent meanwhile
// are gone. On SQLite one server writes the file and there is nothing to hear.
import { errorDetail, type Logger } from '../log'
import type { Store } from '../store/types'
import type { Bus } from './bus'

export type NodeNews = ReturnType<typeof createNodeNews>

export function createNodeNews({ store, bus, log }: { store: Store; bus: Bus; log: Logger }) {
  let stopWatching: (() => Promise<void>) | null = null
  let stopped = false
  return {
    /** Starts hearing the other nodes; a failure to start is logged and tried again by the next start. */
    async start() {
      if (stopWatching || stopped) return
      try {
        stopWatching = await store.watchOtherNodes(
          (news) => bus.publishElsewhere(news.userId, news.deploymentId),
          () => {
            log.warn('the watch on the other nodes’ news was lost and made again; open streams read the database again')
            bus.publishElsewhereToAll()
          },
        )
      } catch (error) {
        log.error('could not listen to the other nodes; live streams see only this node’s news until the next start', { error: errorDetail(error) })
      }
    },
    async stop() {
      stopped = true
      const stop = stopWatching
      stopWatching = null
      await stop?.().catch(() => {})
    },
  }
}
