// Expired sessions are swept, not kept (docs/api.md §1): once at start, then on a timer, in small batches.
import type { Clock } from '../domain/time'
import type { Logger } from '../log'
import type { Store } from '../store/types'
import { nextTurn } from '../turn'
import { periodic } from '../services/periodic'

export const SESSION_SWEEP_EVERY_MS = 10 * 60 * 1000
const BATCH = 500

export type SessionSweeper = ReturnType<typeof createSessionSweeper>

export function createSessionSweeper({ store, clock, log, everyMs = SESSION_SWEEP_EVERY_MS }: { store: Store; clock: Clock; log: Logger; everyMs?: number }) {
  const job = periodic({
    everyMs,
    log,
    failed: 'the session sweep failed; it runs again later',
    done: (deleted: number) => deleted > 0 && log.info('expired sessions swept', { deleted }),
    // Deletes every session expired by now and answers how many, in batches with a turn of the event loop
    // between: a backlog of expired rows never stalls the server.
    async work() {
      let total = 0
      for (;;) {
        const deleted = await store.deleteExpiredSessions(clock(), BATCH)
        total += deleted
        if (deleted < BATCH || job.stopped) return total
        await nextTurn()
      }
    },
  })
  return {
    /** Deletes every session expired by now and answers how many; a sweep already running is joined. */
    sweep: job.run,
    start: job.start,
    stop: () => void job.stop(),
  }
}
