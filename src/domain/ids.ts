// Resource IDs: a type prefix, a hyphen, and a lowercase, time-sortable random part (api.md §0).

export const ID_PREFIXES = {
  user: 'usr',
  session: 'ses',
  apiKey: 'key',
  mission: 'mis',
  plan: 'plan',
  deployment: 'dep',
  event: 'evt',
} as const

export type IdKind = keyof typeof ID_PREFIXES

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'

/** Encodes 16 bytes (a UUIDv7: 48-bit ms timestamp first, then randomness) as 26 Crockford base32 chars. */
function encodeBase32(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  // 128 bits do not divide by 5: pad two zero bits in front so the order of strings matches the order of bytes.
  bits = 2
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += CROCKFORD[(buffer >>> bits) & 31]
    }
    buffer &= (1 << bits) - 1
  }
  return out
}

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}-${encodeBase32(Bun.randomUUIDv7('buffer'))}`
}

/** Two Crockford characters for every 10-bit value. */
const PAIRS = Array.from({ length: 1024 }, (_, v) => CROCKFORD[v >> 5]! + CROCKFORD[v & 31]!)
const encode40 = (value: number) => PAIRS[Math.floor(value / 2 ** 30) & 1023]! + PAIRS[Math.floor(value / 2 ** 20) & 1023]! + PAIRS[(value >>> 10) & 1023]! + PAIRS[value & 1023]!

let headMs = -1
let head = ''

/**
 * An event's id, in the same format as newId (time first, then 80 bits) but derived from what the row
 * already holds — when it was stored (microseconds) and its sequence number, unique per server — instead
 * of stored beside them. The sequence number takes the place of the random bits: ids sort by creation and
 * never repeat, and making one costs a few string joins on the ingest path.
 */
export function eventId(createdAtMicros: number, seq: number): string {
  const ms = Math.floor(createdAtMicros / 1000)
  if (ms !== headMs) {
    // The first 10 characters carry the two pad bits and the 48-bit time.
    const bytes = new Uint8Array(16)
    new DataView(bytes.buffer).setUint16(0, Math.floor(ms / 2 ** 32))
    new DataView(bytes.buffer).setUint32(2, ms % 2 ** 32)
    head = `${ID_PREFIXES.event}-${encodeBase32(bytes).slice(0, 10)}`
    headMs = ms
  }
  return head + encode40(Math.floor(seq / 2 ** 40)) + encode40(seq % 2 ** 40)
}
