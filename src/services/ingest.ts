// Group commit for event reports: the reports that arrive while the previous group commits wait and are
// written together in the next transaction, so one fsync covers them all. Each caller's promise settles
// only after that transaction has committed (durably, under synchronous=FULL), so an acknowledgement
// always means "on disk". Under load the groups grow by themselves.
import type { RecordEventResult, RecordEventsInput, Store } from '../store/types'

/** Inputs per transaction at most; the rest go in the next one. */
const MAX_GROUP = 1000

type Pending = { input: RecordEventsInput; resolve(results: RecordEventResult[]): void; reject(error: unknown): void }

export type Ingest = ReturnType<typeof createIngest>

export function createIngest(store: Store) {
  const queue: Pending[] = []
  let scheduled = false
  let committing = false

  async function flush() {
    scheduled = false
    if (committing || queue.length === 0) return
    committing = true
    const group = queue.splice(0, MAX_GROUP)
    try {
      const outcomes = await store.recordEventGroups(group.map((p) => p.input))
      outcomes.forEach((outcome, i) => (outcome.ok ? group[i]!.resolve(outcome.results) : group[i]!.reject(outcome.error)))
    } catch (error) {
      // The whole transaction failed (disk full, locked): nothing of the group was stored.
      for (const p of group) p.reject(error)
    } finally {
      committing = false
      if (queue.length > 0) schedule()
    }
  }

  function schedule() {
    if (scheduled) return
    scheduled = true
    // A turn of the event loop first, so that reports arriving together commit together.
    setImmediate(flush)
  }

  return {
    /** Stores the input's events with the next group; resolves with their results once committed. */
    submit(input: RecordEventsInput): Promise<RecordEventResult[]> {
      return new Promise((resolve, reject) => {
        queue.push({ input, resolve, reject })
        schedule()
      })
    },
  }
}
