// A job that runs at start and then on a timer, one run at a time (a run already going is joined), and
// that stops between its batches once asked: the session sweep and the retention sweep.
import type { Logger } from '../log'

export type PeriodicJob<T> = {
  /** Runs the job now, or joins the run already going. */
  run(): Promise<T>
  /** Runs it now and then every `everyMs`; the timer never keeps the process alive. */
  start(): void
  /** Stops the timer and asks a run in progress to stop after its current batch; resolves when it has. */
  stop(): Promise<void>
  /** True once stop() was called (a run checks it between its batches). */
  readonly stopped: boolean
}

export function periodic<T>({
  everyMs,
  work,
  log,
  done,
  failed,
}: {
  everyMs: number
  work: () => Promise<T>
  log: Logger
  /** Told of each timed run's result (to log what it did). */
  done: (result: T) => void
  /** The warning logged when a timed run throws; it runs again at the next tick. */
  failed: string
}): PeriodicJob<T> {
  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<T> | null = null
  let stopped = false
  const run = () => {
    running ??= work().finally(() => {
      running = null
    })
    return running
  }
  const tick = () => {
    run().then(done, (error: unknown) => log.warn(failed, { error: String(error) }))
  }
  return {
    run,
    start() {
      if (timer) return
      stopped = false
      tick()
      timer = setInterval(tick, everyMs)
      timer.unref?.()
    },
    async stop() {
      stopped = true
      clearInterval(timer)
      timer = undefined
      await running?.catch(() => {})
    },
    get stopped() {
      return stopped
    },
  }
}
