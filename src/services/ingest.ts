// Group commit for event reports: the reports that arrive while the previous group commits wait and are
// written together in the next transaction, so one flush covers them all. Each caller's promise settles
// only after that transaction is durable, so an acknowledgement always means "on disk". Under load the
// groups grow by themselves, up to a bound in inputs, events and bytes, so that no group holds the event
// loop for long. Waiting reports are queued per user and taken round-robin: one tenant's flood cannot
// starve another's reports, which go into the very next group (docs/limits.md).
import type { GroupOutcome, RecordEventResult, RecordEventsInput, Store } from '../store/types'

/** A group's bounds; the first input taken always fits, whatever its size. */
const MAX_GROUP_INPUTS = 1000
const MAX_GROUP_EVENTS = 2000
const MAX_GROUP_PAYLOAD_BYTES = 8 * 1024 * 1024

type Pending = { input: RecordEventsInput; size: number; resolve(results: RecordEventResult[]): void; reject(error: unknown): void }

export type Ingest = ReturnType<typeof createIngest>

/** An input's weight against the group's byte bound: its payloads' JSON length (UTF-16 units, close enough). */
const payloadSize = (input: RecordEventsInput) => input.events.reduce((sum, { event, staged }) => sum + (staged == null ? event.payloadJson.length : 0), 0)

export function createIngest(store: Store) {
  /** Per user, in arrival order; a Map iterates in insertion order, which makes the round-robin. */
  const queues = new Map<string, Pending[]>()
  let scheduled = false
  let committing = false

  /** Takes one input per user in turn until a bound is reached. */
  function takeGroup(): Pending[] {
    const group: Pending[] = []
    let events = 0
    let bytes = 0
    for (;;) {
      let took = false
      for (const [user, queue] of queues) {
        const next = queue[0]!
        if (group.length > 0 && (group.length >= MAX_GROUP_INPUTS || events + next.input.events.length > MAX_GROUP_EVENTS || bytes + next.size > MAX_GROUP_PAYLOAD_BYTES))
          return group
        group.push(queue.shift()!)
        events += next.input.events.length
        bytes += next.size
        took = true
        // A user whose queue empties leaves the rotation; one with more waiting goes to its end.
        queues.delete(user)
        if (queue.length > 0) queues.set(user, queue)
      }
      if (!took) return group
    }
  }

  async function flush() {
    scheduled = false
    if (committing || queues.size === 0) return
    committing = true
    const group = takeGroup()
    // A group cut short by its bounds leaves reports waiting: the store has run the group's transaction by
    // the time it returns (SQLite writes synchronously) and only its flush is pending, so the next group
    // may commit at once and share that flush or the next. Otherwise the next group waits for this one's
    // flush, and grows meanwhile: fewer, larger transactions under a steady stream of single reports.
    const handOver = queues.size > 0
    const release = () => {
      committing = false
      if (queues.size > 0) schedule()
    }
    let written: Promise<GroupOutcome[]>
    try {
      written = store.recordEventGroups(group.map((p) => p.input))
    } finally {
      if (handOver) release()
    }
    try {
      const outcomes = await written
      outcomes.forEach((outcome, i) => (outcome.ok ? group[i]!.resolve(outcome.results) : group[i]!.reject(outcome.error)))
    } catch (error) {
      // The whole transaction failed (disk full, locked): nothing of the group was stored.
      for (const p of group) p.reject(error)
    } finally {
      if (!handOver) release()
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
      // Sized here, where a bad input can only reject its own promise, never the group's flush.
      return new Promise((resolve, reject) => {
        const pending = { input, size: payloadSize(input), resolve, reject }
        const queue = queues.get(input.userId)
        if (queue) queue.push(pending)
        else queues.set(input.userId, [pending])
        schedule()
      })
    },
  }
}
