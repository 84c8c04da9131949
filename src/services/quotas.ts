// Per-user quotas (docs/operations.md "Quotas"; off by default): at most N new events per user in each
// period, and at most so many bytes of stored events per user, so that one tenant cannot fill the disk all
// tenants share. A report over a quota stores nothing: 429 RATE_LIMITED (the events quota, with
// Retry-After until the period ends) or 403 FORBIDDEN (storage), the message naming the quota.
//
// Counts are kept in memory, per node: the events of the current period since this process started (a
// restart starts the period's count again, as the login throttle does), and each user's stored bytes,
// read from the database (store.storedBytes) at most once a minute and moved by what this node stores
// meanwhile. Reports in flight are reserved, so concurrent reports cannot together pass a quota.
import { AppError } from '../domain/errors'
import type { EventInput } from '../domain/event'
import { eventSize, formatSize, type QuotaConfig } from '../domain/quota'
import { formatTimestamp, type Clock } from '../domain/time'
import type { Store } from '../store/types'

/** How long a user's stored bytes, as read from the database, are trusted before they are read again. */
const STORAGE_READ_EVERY_MICROS = 60e6

export type QuotaKind = 'events' | 'storage'
export type Quotas = ReturnType<typeof createQuotas>
/** A report let through: settle it with what it created (one flag per event, in order), or with null if it failed. */
export type Admission = { settle(created: readonly boolean[] | null): void }

const NOTHING: Admission = { settle() {} }

export function createQuotas(options: { store: Pick<Store, 'storedBytes'>; clock: Clock; config: QuotaConfig; onRefused?: (quota: QuotaKind) => void }) {
  const { store, clock, config } = options
  const periods = new Map<string, { period: number; used: number }>()
  const storage = new Map<string, { bytes: number; readAt: number }>()
  const reserved = new Map<string, { events: number; bytes: number }>()

  const refuse = (quota: QuotaKind, error: AppError): never => {
    options.onRefused?.(quota)
    throw error
  }

  function eventsUsed(userId: string, now: number) {
    const period = Math.floor(now / config.events!.periodMicros)
    let entry = periods.get(userId)
    if (!entry || entry.period !== period) periods.set(userId, (entry = { period, used: 0 }))
    return entry
  }

  async function storedBytes(userId: string, now: number) {
    const cached = storage.get(userId)
    if (cached && now - cached.readAt < STORAGE_READ_EVERY_MICROS) return cached
    const fresh = { bytes: await store.storedBytes(userId), readAt: now }
    storage.set(userId, fresh)
    return fresh
  }

  return {
    /**
     * What the user has used (GET /api/usage): the period's new events counted by this node, when that
     * quota is set, and the bytes their stored events take, read from the database now.
     */
    async usage(userId: string) {
      const now = clock()
      const events = config.events === null ? null : { used: eventsUsed(userId, now).used, limit: config.events.count, periodEndsAt: (Math.floor(now / config.events.periodMicros) + 1) * config.events.periodMicros }
      return { events, storage: { usedBytes: await store.storedBytes(userId), limitBytes: config.storageBytes } }
    },

    /**
     * Lets a simulated deployment start, or refuses it (403) when the user's stored bytes plus `bytes` (what
     * its plan's events will take, about) pass the storage quota. The replay's events are then stored
     * whatever the quota (they count towards it), as a deployment, once started, is played to its end.
     */
    async admitReplay(userId: string, bytes: number) {
      if (config.storageBytes === null) return
      // Read afresh (a deployment is made rarely): what earlier replays stored is not in the cached count.
      const stored = { bytes: await store.storedBytes(userId), readAt: clock() }
      storage.set(userId, stored)
      const held = reserved.get(userId)?.bytes ?? 0
      if (stored.bytes + held + bytes > config.storageBytes)
        refuse('storage', new AppError('FORBIDDEN', `storage quota reached: your events take ${formatSize(stored.bytes)} of the ${formatSize(config.storageBytes)} each user may keep (--quota-storage-per-user), and this plan's events would take ${formatSize(bytes)} more; no deployment was made`))
    },

    /** Whether any quota is set: without one, admit does nothing at all. */
    enabled: config.events !== null || config.storageBytes !== null,

    /** Lets a report of these events through, or refuses it (nothing is stored then). */
    async admit(userId: string, events: readonly EventInput[]): Promise<Admission> {
      if (config.events === null && config.storageBytes === null) return NOTHING
      const now = clock()
      const held = reserved.get(userId) ?? { events: 0, bytes: 0 }
      const bytes = config.storageBytes === null ? 0 : events.reduce((sum, event) => sum + eventSize(event), 0)
      if (config.storageBytes !== null) {
        const stored = await storedBytes(userId, now)
        if (stored.bytes + held.bytes + bytes > config.storageBytes)
          refuse('storage', new AppError('FORBIDDEN', `storage quota reached: your events take ${formatSize(stored.bytes)} of the ${formatSize(config.storageBytes)} each user may keep (--quota-storage-per-user); nothing was stored`))
      }
      if (config.events !== null) {
        const entry = eventsUsed(userId, now)
        if (entry.used + held.events + events.length > config.events.count) {
          const ends = (entry.period + 1) * config.events.periodMicros
          refuse('events', new AppError('RATE_LIMITED', `event quota reached: at most ${config.events.count} new events per user until ${formatTimestamp(ends)} (--quota-events-per-user); nothing was stored`, Math.max(1, Math.ceil((ends - now) / 1e6))))
        }
      }
      held.events += events.length
      held.bytes += bytes
      reserved.set(userId, held)
      let settled = false
      return {
        settle(created) {
          if (settled) return
          settled = true
          held.events -= events.length
          held.bytes -= bytes
          if (held.events === 0 && held.bytes === 0) reserved.delete(userId)
          if (!created) return
          const count = created.filter(Boolean).length
          if (config.events !== null) eventsUsed(userId, clock()).used += count
          const cached = storage.get(userId)
          if (cached) for (let i = 0; i < events.length; i++) if (created[i]) cached.bytes += eventSize(events[i]!)
        },
      }
    },
  }
}
