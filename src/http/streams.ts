// The live streams of docs/api.md §3.3 as Server-Sent Events (docs/streams.md): a deployment's events in
// arrival order, and a user's deployments as they change. Each connection catches up from the database,
// then follows the bus (src/services/bus.ts); whenever what it hears does not follow on from what it has
// sent (a gap), it catches up from the database again, so it never skips and never repeats. Nothing read
// from the database is sent before it is durable (Store.whenDurable); the bus only carries durable news.
//
// Frames are written by hand rather than with Elysia's `sse()` helper, which cannot write a comment
// (`: keep-alive`); they go out through Elysia's own generator streaming, which pulls the next frame only
// when the socket has taken the previous ones. What a slow client has not taken waits in a bounded inbox;
// past the bound the connection is cut off (its socket's idle timeout set to a second: a generator stuck
// in a write that will never finish cannot end the response itself), and the client resumes with
// Last-Event-ID. Stream sockets otherwise have no idle timeout (Bun closes idle sockets after 10 s).
import { isTerminal, type DeploymentStatus } from '../domain/deployment'
import { AppError } from '../domain/errors'
import type { Logger } from '../log'
import { ELSEWHERE, type Bus, type DeploymentNews, type PublishedEvent, type StatusView } from '../services/bus'
import type { DeploymentChange, Store } from '../store/types'
import { deploymentDto, eventJson } from './dto'
import { formatNullableTimestamp } from '../domain/time'
import { errorDetail } from '../log'

export const KEEP_ALIVE_MS = 15_000
/** Items a connection may hold unsent before it is closed as too slow. */
export const STREAM_QUEUE_MAX = 10_000
/** Characters of frames written to a socket at once, at most (past one frame). */
export const CHUNK_MAX = 64 * 1024
/** Streams one user may have open at once; past it a new one is 429 (one tenant cannot hold every socket). */
export const STREAMS_PER_USER_MAX = 1000
/** Rows read from the database per step of a catch-up. */
const CATCH_UP_PAGE = 500
/**
 * Under load a stream writes at most once in this many milliseconds, and what arrives meanwhile goes in
 * the same write; a stream that has been quiet that long writes at once. A write to a socket costs far more
 * than its bytes (measured: ~13 µs of server time per write, so 500 streams of a deployment receiving 100
 * events/s took most of a core), and this bounds the writes per stream to 50 a second whatever the rate.
 */
export const WRITE_EVERY_MS = 20

/** One timer for every stream holding back its next write (not one per stream). */
let tick: Promise<void> | null = null
const nextTick = () =>
  (tick ??= new Promise<void>((resolve) =>
    setTimeout(() => {
      tick = null
      resolve()
    }, WRITE_EVERY_MS),
  ))

/** Joins frames into writes of up to CHUNK_MAX characters (a frame is never split). */
class Chunker {
  private text = ''
  add(f: Frame): Frame | null {
    this.text += f.toSSE()
    return this.text.length >= CHUNK_MAX ? this.take() : null
  }
  take(): Frame | null {
    if (!this.text) return null
    const out = frame(this.text)
    this.text = ''
    return out
  }
}

/** One frame, ready to write; Elysia's stream handler writes what toSSE returns as it is. */
type Frame = { toSSE(): string }
const frame = (text: string): Frame => ({ toSSE: () => text })
const KEEP_ALIVE = frame(': keep-alive\n\n')
/**
 * The last frame of a stream the server ends because it is shutting down: a comment for whoever reads the
 * stream by hand, and `retry:` so that an EventSource reconnects in 2 s (with Last-Event-ID) rather than
 * its default, whatever it was told before. docs/operations.md "Shutdown".
 */
export const SHUTDOWN_FRAME_TEXT = ': server shutting down; reconnect with Last-Event-ID\nretry: 2000\n\n'
const SHUTDOWN_FRAME = frame(SHUTDOWN_FRAME_TEXT)

/** A stream's frames, and the reconnect hint after them when the server ended it by shutting down. */
async function* withShutdownHint(inbox: { closed: CloseReason | null }, frames: AsyncGenerator<Frame>): AsyncGenerator<Frame> {
  yield* frames
  if (inbox.closed === 'stopped') yield SHUTDOWN_FRAME
}

// Rendered once per published item, however many connections send it.
const eventFrames = new WeakMap<object, Frame>()
function eventFrame(event: PublishedEvent): Frame {
  let f = eventFrames.get(event)
  if (!f) eventFrames.set(event, (f = frame(`id: ${event.arrival}\ndata: ${eventJson(event)}\n\n`)))
  return f
}
const changeFrames = new WeakMap<object, Frame>()
function changeFrame(change: DeploymentChange): Frame {
  let f = changeFrames.get(change)
  if (!f) changeFrames.set(change, (f = frame(`id: ${change.seq}\ndata: ${JSON.stringify(deploymentDto(change.deployment))}\n\n`)))
  return f
}
const statusFrame = ({ status, startedAt, completedAt }: StatusView) =>
  frame(`event: status\ndata: ${JSON.stringify({ status, started_at: formatNullableTimestamp(startedAt), completed_at: formatNullableTimestamp(completedAt) })}\n\n`)
const endFrame = (status: DeploymentStatus) => frame(`event: end\ndata: ${JSON.stringify({ status })}\n\n`)

/** Statuses only move forward (docs/api.md §2.1): a status of lower or equal rank than one sent is old news. */
const RANK: Record<DeploymentStatus, number> = { pending: 0, dispatched: 1, running: 2, completed: 3, failed: 3, cancelled: 3 }

export type CloseReason = 'gone' | 'slow' | 'credentials' | 'stopped'

/**
 * What a connection has been told and not yet sent, and the means to wait for more. Closes (and says why)
 * when the client is gone, when more than STREAM_QUEUE_MAX items wait, or when told to; on closing it
 * drops what waits and runs its close hooks at once, even while the stream is stuck writing.
 */
class Inbox<T> {
  items: T[] = []
  closed: CloseReason | null = null
  private weight = 0
  private wake: (() => void) | null = null
  private hooks: Array<(reason: CloseReason) => void> = []

  constructor(private readonly weigh: (item: T) => number) {}

  push(item: T) {
    if (this.closed) return
    this.weight += this.weigh(item)
    if (this.weight > STREAM_QUEUE_MAX) return this.close('slow')
    this.items.push(item)
    this.notify()
  }
  onClose(hook: (reason: CloseReason) => void) {
    if (this.closed) hook(this.closed)
    else this.hooks.push(hook)
  }
  close(reason: CloseReason) {
    if (this.closed) return
    this.closed = reason
    this.items = []
    for (const hook of this.hooks.splice(0)) hook(reason)
    this.notify()
  }
  private notify() {
    const wake = this.wake
    this.wake = null
    wake?.()
  }
  /** Resolves when there is something to send, the inbox closed, or `ms` passed (false: nothing came). */
  wait(ms: number): Promise<boolean> {
    if (this.items.length || this.closed) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null
        resolve(false)
      }, ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve(true)
      }
    })
  }
  /**
   * Waits for something to send: 'quiet' after KEEP_ALIVE_MS of nothing, 'closed', or 'news' — held back
   * until WRITE_EVERY_MS after the last write (`wroteAt`), so that what comes meanwhile goes with it.
   */
  async ready(wroteAt: number): Promise<'quiet' | 'news' | 'closed'> {
    if (!(await this.wait(KEEP_ALIVE_MS))) return 'quiet'
    if (performance.now() - wroteAt < WRITE_EVERY_MS) await nextTick()
    return this.closed ? 'closed' : 'news'
  }
  take(): T[] {
    const items = this.items
    this.items = []
    this.weight = 0
    return items
  }
}

/** The connection a stream is written to: the client's going away, and a way to cut it off. */
export type StreamSocket = { signal: AbortSignal; cutOff(): void }

/** A user's place among their open streams (Streams.admit), given back once the stream is closed. */
export type Slot = { release(): void }

/** A credential an open stream was authenticated with, and how to close the stream. */
type OpenStream = { credential: { via: 'key'; key: string } | { via: 'session'; token: string }; inbox: { close(reason: CloseReason): void } }

export type StreamDeps = {
  store: Store
  bus: Bus
  log: Logger
  /** Whether a stream's credential still holds (src/auth/service.ts stillValid). */
  stillValid(credential: OpenStream['credential']): Promise<boolean>
}

export type Streams = ReturnType<typeof createStreams>

export function createStreams({ store, bus, log, stillValid }: StreamDeps) {
  const open = new Set<OpenStream>()
  const openByUser = new Map<string, number>()
  let stopped = false
  let timer: ReturnType<typeof setInterval> | undefined
  let versions = ''
  let rechecking = false

  /**
   * Once a second while streams are open: when a key or user changed or a session was deleted (by any
   * process), every open stream's credential is checked again, and a stream whose credential no longer
   * holds is closed. So a revocation, a logout or a password change ends its streams within a second.
   */
  /** Where keys, users and sessions stand, by any process: when it moves, open streams check again. */
  const readVersions = async () => `${await store.authVersion()}/${await store.sessionVersion()}`

  async function recheck() {
    if (rechecking) return
    rechecking = true
    try {
      const now = await readVersions()
      if (now === versions) return
      let unsure = false
      for (const stream of [...open])
        try {
          if (!(await stillValid(stream.credential))) stream.inbox.close('credentials')
        } catch (error) {
          // One check that could not be made must not spare the others; it is made again next time.
          if (!unsure) log.error('could not check the credentials of open streams', { error: errorDetail(error) })
          unsure = true
        }
      if (!unsure) versions = now
    } catch (error) {
      log.error('could not check the credentials of open streams', { error: errorDetail(error) })
    } finally {
      rechecking = false
    }
  }

  /**
   * Makes the inbox a live stream's: subscribed (before the first read, so whatever is published meanwhile
   * waits in it), its credential checked with the others, closed when the client goes, and on closing
   * unsubscribed at once and — when the server closed it — its socket cut off.
   */
  async function attach<T>(slot: Slot, inbox: Inbox<T>, subscribe: (push: (item: T) => void) => () => void, credential: OpenStream['credential'], socket: StreamSocket) {
    const unsubscribe = subscribe((item) => inbox.push(item))
    const stream: OpenStream = { credential, inbox }
    inbox.onClose((reason) => {
      unsubscribe()
      slot.release()
      open.delete(stream)
      if (open.size === 0) {
        clearInterval(timer)
        timer = undefined
      }
      if (reason !== 'gone') socket.cutOff()
    })
    // Whatever fails from here on (the database did not answer) closes the inbox: nothing is left behind.
    try {
      if (open.size === 0) versions = await readVersions()
      open.add(stream)
      timer ??= setInterval(recheck, 1000)
      if (socket.signal.aborted) inbox.close('gone')
      else socket.signal.addEventListener('abort', () => inbox.close('gone'), { once: true })
      // The route checked the credential before the stream was counted here: a revocation in between is
      // in the versions read above, and no recheck would look at it again.
      if (!inbox.closed && !(await stillValid(credential))) {
        inbox.close('credentials')
        throw new AppError('UNAUTHORIZED', 'invalid or revoked credentials')
      }
    } catch (error) {
      inbox.close('gone')
      throw error
    }
  }

  /**
   * GET /api/deployments/{id}/events/stream, after the route has checked the caller may see the
   * deployment and read the resume point: the frames to send, in order, until the stream ends.
   */
  async function deploymentEvents(slot: Slot, userId: string, deploymentId: string, after: number, credential: OpenStream['credential'], socket: StreamSocket) {
    const inbox = new Inbox<DeploymentNews>((news) => news.items.length)
    await attach(slot, inbox, (push) => bus.subscribeDeployment(deploymentId, push), credential, socket)
    return withShutdownHint(inbox, eventFrames(inbox, userId, deploymentId, after))
  }

  async function* eventFrames(inbox: Inbox<DeploymentNews>, userId: string, deploymentId: string, after: number): AsyncGenerator<Frame> {
    let lastSent = after
    let sentRank = -1

    /**
     * The frames of everything stored after lastSent and of the current status: on connecting, the status
     * first (docs/api.md §3.3); after a gap, the status after the events, as it came about.
     */
    async function* catchUp(first: boolean): AsyncGenerator<Frame, DeploymentStatus | null> {
      // Read before the events: the events that moved it to this status are among those read next.
      const deployment = await store.getDeployment(userId, deploymentId)
      if (!deployment) return null
      // A resume point past the last event means "nothing yet" (docs/api.md §3.3): the live events follow.
      // Arrival numbers run 1, 2, 3…, so the last one stored is the event count.
      if (first) lastSent = Math.min(lastSent, deployment.eventCount)
      await store.whenDurable()
      // A closed stream sends nothing more (a revoked credential's above all), whatever it had read.
      if (inbox.closed) return null
      const news = first || RANK[deployment.status] > sentRank
      if (news) sentRank = RANK[deployment.status]
      if (news && first) yield statusFrame(deployment)
      // After a gap, only the events stored before that status, which follows them; later ones come after
      // it, from the inbox or the next catch-up (late data after a terminal status is not sent at all).
      const upTo = first ? Number.POSITIVE_INFINITY : deployment.eventCount
      while (lastSent < upTo) {
        const limit = Math.min(CATCH_UP_PAGE, upTo - lastSent)
        const rows = await store.listEventsByArrival(deploymentId, lastSent, limit)
        await store.whenDurable()
        const chunker = new Chunker()
        for (const row of rows) {
          if (inbox.closed) return null
          const full = chunker.add(eventFrame(row as PublishedEvent))
          lastSent = row.arrival!
          if (full) yield full
        }
        const last = chunker.take()
        if (last && !inbox.closed) yield last
        if (rows.length < limit || inbox.closed) break
      }
      if (news && !first) yield statusFrame(deployment)
      return deployment.status
    }

    try {
      let status = yield* catchUp(true)
      let wrote = 0
      for (;;) {
        if (status === null || inbox.closed) return
        if (isTerminal(status)) return yield endFrame(status)
        const ready = await inbox.ready(wrote)
        if (ready === 'closed') return
        if (ready === 'quiet') {
          yield KEEP_ALIVE
          continue
        }
        let gap = false
        // What one wake-up took goes out in one write (one per CHUNK_MAX), not one per frame: under load a
        // wake-up takes several groups' news, and a write to each of many sockets costs far more than its bytes.
        const chunker = new Chunker()
        taking: for (const news of inbox.take()) {
          for (const item of news.items) {
            // Nothing after a terminal status: `end` comes next (late data is for a reconnect to fetch).
            if (gap || inbox.closed || isTerminal(status)) break taking
            // Another node stored news (src/services/node-news.ts): what it is, the database says.
            if (item.kind === 'elsewhere') {
              gap = true
              break
            }
            if (item.kind === 'event') {
              if (item.event.arrival <= lastSent) continue
              if (item.event.arrival !== lastSent + 1) {
                gap = true
                break
              }
              const full = chunker.add(eventFrame(item.event))
              lastSent = item.event.arrival
              if (full) yield full
            } else {
              // A status that follows events not sent yet: they are missing here, and the database has them.
              if (item.afterArrival > lastSent) {
                gap = true
                break
              }
              if (RANK[item.status] <= sentRank) continue
              sentRank = RANK[item.status]
              status = item.status
              const full = chunker.add(statusFrame(item))
              if (full) yield full
            }
          }
        }
        const last = chunker.take()
        if (last && !inbox.closed) yield last
        wrote = performance.now()
        if (gap) status = yield* catchUp(false)
      }
    } catch (error) {
      log.error('an event stream failed', { deployment: deploymentId, error: errorDetail(error) })
    } finally {
      inbox.close('gone')
    }
  }

  /**
   * GET /api/deployments/stream: the user's deployments as they change, from change `after` (or from
   * now when null), never ending on its own.
   */
  async function deploymentChanges(slot: Slot, userId: string, after: number | null, credential: OpenStream['credential'], socket: StreamSocket) {
    const inbox = new Inbox<DeploymentChange | typeof ELSEWHERE>(() => 1)
    await attach(slot, inbox, (push) => bus.subscribeChanges(userId, push), credential, socket)
    let latest: number
    try {
      latest = await store.lastChangeSeq(userId)
    } catch (error) {
      inbox.close('gone')
      throw error
    }
    // From now without a resume point; one past the latest change means "nothing yet" (docs/api.md §3.3).
    return withShutdownHint(inbox, changeFrames(inbox, userId, after, after === null ? latest : Math.min(after, latest)))
  }

  async function* changeFrames(inbox: Inbox<DeploymentChange | typeof ELSEWHERE>, userId: string, after: number | null, from: number): AsyncGenerator<Frame> {
    let lastSent = from

    async function* catchUp(): AsyncGenerator<Frame> {
      for (;;) {
        const changes = await store.listDeploymentChanges(userId, lastSent, CATCH_UP_PAGE)
        await store.whenDurable()
        const chunker = new Chunker()
        for (const change of changes) {
          if (inbox.closed) return
          const full = chunker.add(changeFrame(change))
          lastSent = change.seq
          if (full) yield full
        }
        const last = chunker.take()
        if (last && !inbox.closed) yield last
        if (changes.length < CATCH_UP_PAGE || inbox.closed) return
      }
    }

    try {
      // Something to write at once, so that the client knows it is connected: a catch-up may have nothing
      // to send (and the response starts only with its first frame).
      yield KEEP_ALIVE
      if (after !== null) yield* catchUp()
      let wrote = 0
      for (;;) {
        if (inbox.closed) return
        const ready = await inbox.ready(wrote)
        if (ready === 'closed') return
        if (ready === 'quiet') {
          yield KEEP_ALIVE
          continue
        }
        let gap = false
        const chunker = new Chunker()
        for (const change of inbox.take()) {
          if (inbox.closed) break
          // Another node changed one of the user's deployments: the database has it.
          if ('kind' in change) {
            gap = true
            break
          }
          if (change.seq <= lastSent) continue
          if (change.seq !== lastSent + 1) {
            gap = true
            break
          }
          const full = chunker.add(changeFrame(change))
          lastSent = change.seq
          if (full) yield full
        }
        const last = chunker.take()
        if (last && !inbox.closed) yield last
        wrote = performance.now()
        if (gap) yield* catchUp()
      }
    } catch (error) {
      log.error('a deployment list stream failed', { error: errorDetail(error) })
    } finally {
      inbox.close('gone')
    }
  }

  return {
    deploymentEvents,
    deploymentChanges,
    /** Refuses a new stream (429) to a user who has STREAMS_PER_USER_MAX open already. */
    admit(userId: string): Slot {
      // Shutting down: a stream opened now would hold the shutdown up (its client retries elsewhere or later).
      if (stopped) throw new AppError('UNAVAILABLE', 'the server is shutting down; reconnect in a moment')
      const count = openByUser.get(userId) ?? 0
      if (count >= STREAMS_PER_USER_MAX)
        throw new AppError('RATE_LIMITED', `at most ${STREAMS_PER_USER_MAX} streams may be open at once per user; close some first`, 5)
      // Taken now, before anything is awaited: concurrent opens cannot all pass the check.
      openByUser.set(userId, count + 1)
      let released = false
      return {
        release() {
          if (released) return
          released = true
          const left = openByUser.get(userId)! - 1
          if (left > 0) openByUser.set(userId, left)
          else openByUser.delete(userId)
        },
      }
    },
    get openCount() {
      return open.size
    },
    stop() {
      stopped = true
      for (const stream of [...open]) stream.inbox.close('stopped')
      clearInterval(timer)
      timer = undefined
    },
  }
}
