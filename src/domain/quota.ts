// Per-user quotas (docs/operations.md "Quotas"): what an event takes in storage, and the quota settings as
// the command line gives them. Pure.
import type { EventInput } from './event'

/** Bytes a stored event is counted for beyond its text: its row's keys, times and numbers. */
export const EVENT_ROW_BYTES = 64

/**
 * What one stored event takes, as the storage quota counts it: the UTF-8 bytes of its payload JSON, type,
 * job id and step id, plus EVENT_ROW_BYTES. Migration 0006 counts the events stored before it the same way.
 */
export const eventSize = (event: Pick<EventInput, 'payloadJson' | 'type' | 'jobId' | 'stepId'>) =>
  Buffer.byteLength(event.payloadJson) + event.type.length + (event.jobId === null ? 0 : Buffer.byteLength(event.jobId)) + (event.stepId === null ? 0 : Buffer.byteLength(event.stepId)) + EVENT_ROW_BYTES

export type QuotaConfig = {
  /** At most `count` new events per user in each fixed window of `periodMicros` (aligned to the epoch, so days start at 00:00 UTC). */
  events: { count: number; periodMicros: number } | null
  /** At most this many bytes of stored events per user (eventSize summed). */
  storageBytes: number | null
}
export const NO_QUOTAS: QuotaConfig = { events: null, storageBytes: null }

const PERIOD_MICROS: Record<string, number> = { m: 60e6, h: 3600e6, d: 86_400e6 }

/** `100000` (a day) or `100000/1h`, `5000/10m`, `1000000/7d`; null when malformed. */
export function parseEventQuota(text: string): QuotaConfig['events'] | null {
  const match = /^([1-9]\d{0,11})(?:\/([1-9]\d{0,5})([mhd]))?$/.exec(text)
  if (!match) return null
  const periodMicros = match[2] === undefined ? PERIOD_MICROS.d! : Number(match[2]) * PERIOD_MICROS[match[3]!]!
  return { count: Number(match[1]), periodMicros }
}

const SIZE_BYTES: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }

/** `500M`, `10G`, `1.5T`, `2048K`, `1048576` (bytes; suffixes are powers of 1024, `iB`/`B` allowed); null when malformed or under 1 MiB. */
export function parseSize(text: string): number | null {
  const match = /^(\d{1,9}(?:\.\d{1,3})?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim())
  if (!match) return null
  const bytes = Math.floor(Number(match[1]) * SIZE_BYTES[match[2]!.toUpperCase()]!)
  return bytes >= 1024 ** 2 && Number.isSafeInteger(bytes) ? bytes : null
}

/** A byte count in words: `1.5 GiB`, `512 MiB`. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const)
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`
  return `${bytes} B`
}
