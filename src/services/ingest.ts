// Group commit for event reports: every report that arrives within one turn of the event loop is
// written in one transaction, so one fsync covers them all. Each caller's promise settles only after
// that transaction has committed (durably, under synchronous=FULL), so an acknowledgement always means
// "on disk". Under load the groups grow by themselves: reports queue up while a commit runs.
import type { RecordEventResult, RecordEventsInput, Store } from '../store/types'

/** Inputs per transaction at most; the rest go in the next one, a turn of the event loop later. */
const MAX_GROUP = 1000

type Pending = { input: RecordEventsInput; resolve(results: RecordEventResult[]): void; reject(error: unknown): void }

export type Ingest = ReturnType<typeof createIngest>

export function createIngest(store: Store) {
  let queue: Pending[] = []
  let scheduled = false

  async function flush() {
    const group = queue.splice(0, MAX_GROUP)
    scheduled = queue.length > 0
    if (scheduled) setImmediate(flush)
    try {
      const outcomes = await store.recordEventGroups(group.map((p) => p.input))
      outcomes.forEach((outcome, i) => (outcome.ok ? group[i]!.resolve(outcome.results) : group[i]!.reject(outcome.error)))
    } catch (error) {
      // The whole transaction failed (disk full, locked): nothing of the group was stored.
      for (const p of group) p.reject(error)
    }
  }

  return {
    /** Stores the input's events with the next group; resolves with their results once committed. */
    submit(input: RecordEventsInput): Promise<RecordEventResult[]> {
      return new Promise((resolve, reject) => {
        queue.push({ input, resolve, reject })
        if (!scheduled) {
          scheduled = true
          setImmediate(flush)
        }
      })
    },
  }
}
