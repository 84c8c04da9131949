// Gives every event stored before migration 0004 its arrival number (0004 adds the column empty and sets
// the flag), once, at start and before anything is appended: a new event's number is its deployment's
// highest plus one. The number is the event's rank in its deployment's seq order (docs/streams.md), so a
// start stopped midway has left correct numbers behind and the next one numbers only the rows still empty.
// Transactions stay small and the WAL is checkpointed between them, so it stays about one chunk long
// (docs/streams.md has the figures); a deployment larger than a chunk costs a few linear passes, not one
// pass per chunk: there is no index on seq, so finding a chunk's rows in seq order would read them all.
import type { Database } from 'bun:sqlite'

export type ProgressReport = (message: string, fields: Record<string, unknown>) => void

export type ArrivalBackfillOptions = {
  /** Rows numbered per transaction; a deployment with at most this many events is numbered from one sort. */
  chunkRows?: number
  /** Seqs covered by one bitmap of a larger deployment: at most a quarter of this many bytes in memory. */
  windowSeqs?: number
  /** Told how far it got, every REPORT_EVERY rows. */
  onProgress?: ProgressReport
}

const CHUNK_ROWS = 50_000
const WINDOW_SEQS = 2 ** 26
const REPORT_EVERY = 1_000_000

type Key = [timestamp: number, seq: number]

export function backfillArrivals(sqlite: Database, options: ArrivalBackfillOptions = {}) {
  const flag = sqlite.query("SELECT value FROM meta WHERE key = 'events_arrival_backfill'").values()[0]?.[0]
  if (flag !== 1) return
  const { chunkRows = CHUNK_ROWS, windowSeqs = WINDOW_SEQS, onProgress } = options
  // Every query but the UPDATE reads the covering index events_arrival_idx (deployment_key, arrival, event_timestamp, seq).
  const q = {
    // One step down the index each.
    nextKey: sqlite.prepare('SELECT deployment_key FROM events WHERE deployment_key > ? ORDER BY deployment_key LIMIT 1'),
    anyEmpty: sqlite.prepare('SELECT 1 FROM events WHERE deployment_key = ? AND arrival IS NULL LIMIT 1'),
    // One pass over the deployment's entries: there is no index on seq.
    span: sqlite.prepare('SELECT count(*), min(seq), max(seq) FROM events WHERE deployment_key = ?'),
    // A deployment of at most chunkRows events, sorted in memory.
    bySeq: sqlite.prepare('SELECT event_timestamp, seq, arrival FROM events WHERE deployment_key = ? ORDER BY seq'),
    seqsIn: sqlite.prepare('SELECT seq FROM events WHERE deployment_key = ? AND seq >= ? AND seq < ?'),
    // The next empty rows in index order (instant, seq): numbered rows leave this range.
    emptyAfter: sqlite.prepare(`
      SELECT event_timestamp, seq FROM events WHERE deployment_key = ? AND arrival IS NULL AND (event_timestamp, seq) > (?, ?)
      ORDER BY event_timestamp, seq LIMIT ?`),
    set: sqlite.prepare('UPDATE events SET arrival = ? WHERE deployment_key = ? AND event_timestamp = ? AND seq = ?'),
  }
  const started = performance.now()
  const events = (sqlite.query('SELECT coalesce(sum(event_count), 0) FROM deployments').values()[0]![0] as number)
  let numbered = 0
  let reported = 0

  /** Rows updated in the open transaction, if one is open; several small deployments share one. */
  let pending: number | null = null
  function write(rows: number, work: () => void) {
    if (pending !== null && pending > 0 && pending + rows > chunkRows) commit()
    if (pending === null) {
      sqlite.run('BEGIN IMMEDIATE')
      pending = 0
    }
    work()
    pending += rows
    numbered += rows
  }
  function commit() {
    if (pending === null) return
    sqlite.run('COMMIT')
    pending = null
    // The checkpointer's worker (checkpointer.ts) does not keep up with commits made back to back: its
    // checkpoints never reach the WAL's end, so the WAL is never started over and takes every commit
    // (measured: 138 MB for 1 000 000 events, 19 MB with this). Nothing is served yet: waiting here is free.
    sqlite.query('PRAGMA wal_checkpoint(PASSIVE)').get()
    if (onProgress && numbered - reported >= REPORT_EVERY) {
      reported = numbered
      onProgress('numbering stored events in arrival order (once, after the upgrade); the server starts when done', { numbered, events })
    }
  }

  /** Numbers a deployment small enough to sort whole. */
  function numberSorted(key: number) {
    const rows = q.bySeq.values(key) as Array<[number, number, number | null]>
    const empty = rows.flatMap(([timestamp, seq, arrival], i) => (arrival === null ? [[timestamp, seq, i + 1] as const] : []))
    write(empty.length, () => {
      for (const [timestamp, seq, arrival] of empty) q.set.run(arrival, key, timestamp, seq)
    })
  }

  /**
   * Numbers a larger deployment one window of seqs at a time: a bitmap of the window's seqs (one pass over
   * the deployment) gives each seq its rank in O(1), then its empty rows in that window are numbered in
   * chunks along the index. Linear in the deployment's size per window; a window covers WINDOW_SEQS seqs.
   */
  function numberByWindows(key: number, minSeq: number, maxSeq: number) {
    let below = 0
    for (let low = minSeq; low <= maxSeq; low += windowSeqs) {
      const high = Math.min(low + windowSeqs, maxSeq + 1)
      const ranks = rankSeqs(key, low, high)
      let after: Key = [Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]
      for (;;) {
        const rows = q.emptyAfter.values(key, after[0], after[1], Math.max(1, chunkRows - (pending ?? 0))) as Key[]
        if (rows.length === 0) break
        after = rows[rows.length - 1]!
        const inWindow = rows.filter(([, seq]) => seq >= low && seq < high)
        write(inWindow.length, () => {
          for (const [timestamp, seq] of inWindow) q.set.run(below + ranks.rank(seq) + 1, key, timestamp, seq)
        })
      }
      below += ranks.count
    }
  }

  /** The deployment's seqs in [low, high) as a bitmap with a running count per 32-bit word. */
  function rankSeqs(key: number, low: number, high: number) {
    const bits = new Uint32Array(Math.ceil((high - low) / 32))
    for (const { seq } of q.seqsIn.iterate(key, low, high) as IterableIterator<{ seq: number }>) bits[(seq - low) >>> 5]! |= 1 << ((seq - low) & 31)
    const before = new Uint32Array(bits.length)
    let count = 0
    for (let w = 0; w < bits.length; w++) {
      before[w] = count
      count += popcount(bits[w]!)
    }
    return {
      count,
      /** How many of the deployment's seqs in the window are smaller than this one. */
      rank: (seq: number) => before[(seq - low) >>> 5]! + popcount(bits[(seq - low) >>> 5]! & ((1 << ((seq - low) & 31)) - 1)),
    }
  }

  try {
    for (let key = nextKey(Number.MIN_SAFE_INTEGER); key !== null; key = nextKey(key)) {
      if (q.anyEmpty.values(key).length === 0) continue
      const [count, minSeq, maxSeq] = q.span.values(key)[0] as [number, number, number]
      if (count <= chunkRows) numberSorted(key)
      else numberByWindows(key, minSeq, maxSeq)
    }
    write(0, () => sqlite.run("UPDATE meta SET value = 0 WHERE key = 'events_arrival_backfill'"))
    commit()
  } catch (error) {
    if (sqlite.inTransaction) sqlite.run('ROLLBACK')
    throw error
  }
  if (reported > 0) onProgress?.('numbered stored events in arrival order', { numbered, seconds: Math.round((performance.now() - started) / 1000) })

  function nextKey(after: number): number | null {
    return (q.nextKey.values(after)[0]?.[0] as number | undefined) ?? null
  }
}

function popcount(word: number): number {
  word -= (word >>> 1) & 0x55555555
  word = (word & 0x33333333) + ((word >>> 2) & 0x33333333)
  return Math.imul((word + (word >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24
}
