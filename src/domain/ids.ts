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

/**
 * Event ids in the same format as newId, made cheaply enough for the ingest path (a batch makes hundreds):
 * the first id of each millisecond is as newId's (time, then 80 random bits); the next ones of that
 * millisecond add one to the random part, so ids still sort by creation and never repeat (the ULID scheme).
 */
export function createEventIds(now: () => number = Date.now): () => string {
  let ms = -1
  let head = ''
  let low = 0
  return () => {
    const current = now()
    if (current > ms) {
      const bytes = Bun.randomUUIDv7('buffer', current)
      ms = current
      // The first 10 characters carry the two pad bits and the 48-bit time; keep the next 40 bits as they
      // are and count up from the last 40.
      const first = encodeBase32(bytes)
      head = `${ID_PREFIXES.event}-${first.slice(0, 18)}`
      low = bytes.readUIntBE(11, 5)
      return head + encode40(low)
    }
    // Past 2^40 ids in one millisecond the next millisecond's head is borrowed (ids stay increasing).
    if (++low >= 2 ** 40) {
      ms++
      head = `${ID_PREFIXES.event}-${encodeBase32(Bun.randomUUIDv7('buffer', ms)).slice(0, 18)}`
      low = 0
    }
    return head + encode40(low)
  }
}
