// Expired sessions are swept, not kept (docs/api.md §1): once at start, then on a timer, in small batches.
import type { Clock } from '../domain/time'
import type { Logger } from '../log'
import type { Store } from '../store/types'
import { nextTurn } from '../turn'

export const SESSION_SWEEP_EVERY_MS = 10 * 60 * 1000
const BATCH = 500

export type SessionSweeper = ReturnType<typeof createSessionSweeper>

export function createSessionSweeper({ store, clock, log, everyMs = SESSION_SWEEP_EVERY_MS }: { store: Store; clock: Clock; log: Logger; everyMs?: number }) {
  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<number> | null = null
  let stopped = false

  /** Deletes every session expired by now and answers how many; a sweep already running is joined. */
  function sweep(): Promise<number> {
    running ??= (async () => {
      let total = 0
      for (;;) {
        const deleted = await store.deleteExpiredSessions(clock(), BATCH)
        total += deleted
        if (deleted < BATCH || stopped) return total
        // Let requests in between batches: a backlog of expired rows never stalls the server.
        await nextTurn()
      }
    })().finally(() => {
      running = null
    })
    return running
  }

  const run = () => {
    sweep().then(
      (deleted) => deleted > 0 && log.info('expired sessions swept', { deleted }),
      (error: unknown) => log.warn('the session sweep failed; it runs again later', { error: String(error) }),
    )
  }

  return {
    sweep,
    start() {
      if (timer) return
      stopped = false
      run()
      timer = setInterval(run, everyMs)
      // The sweep alone never keeps the process alive.
      timer.unref?.()
    },
    stop() {
      stopped = true
      clearInterval(timer)
      timer = undefined
    },
  }
}
