// Resource IDs: a type prefix, a hyphen, and a lowercase, time-sortable random part (docs/api.md §0).

export const ID_PREFIXES = {
  user: 'usr',
  session: 'ses',
  apiKey: 'key',
  mission: 'mis',
  plan: 'plan',
  deployment: 'dep',
  event: 'evt',
  webhook: 'whk',
  delivery: 'dlv',
} as const

export type IdKind = keyof typeof ID_PREFIXES

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'

/** Encodes 16 bytes (a UUIDv7: 48-bit ms timestamp first, then randomness) as 26 Crockford base32 chars. */
export function encodeBase32(bytes: Uint8Array): string {
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
 * newId's first 10 characters for a millisecond: the two pad bits and the 48-bit time, as encodeBase32 of
 * a UUIDv7 starts. From the pairs table: a list page makes one per event (their created_at differ), and
 * encoding a 16-byte buffer for it cost ~3 µs an id; an id of a new millisecond now costs 0.15 µs, one of a
 * repeated millisecond 0.10 (test/bench/micro/ids.ts).
 */
export const timeHead = (ms: number) =>
  PAIRS[Math.floor(ms / 2 ** 40) & 1023]! + PAIRS[Math.floor(ms / 2 ** 30) & 1023]! + PAIRS[Math.floor(ms / 2 ** 20) & 1023]! + PAIRS[Math.floor(ms / 2 ** 10) & 1023]! + PAIRS[ms & 1023]!

/** MurmurHash3's 32-bit finaliser: every input bit moves every output bit. */
function mix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * Event ids, in the same format as newId — the millisecond first, then 80 bits that look random — but made
 * from what the row already holds instead of stored beside it: when it was stored (microseconds) and its
 * sequence number, unique per server. The 80 bits are the sequence number through a four-round Feistel
 * network on 64 bits whose round function is mix32 keyed by a secret of the database, plus 16 bits derived
 * from the result. What that promises: distinct numbers give distinct ids (a Feistel network is a
 * permutation whatever its round function), and neither the number nor a count of events can be read off
 * an id — consecutive numbers give unrelated-looking ids. It is obfuscation, not a cryptographic guarantee:
 * mix32 is no vetted pseudo-random function, so someone holding many ids may recover the key or the numbers.
 * Making one costs a few multiplications (about 150 ns), on a path that makes hundreds per batch. Vetted
 * keyed constructions from node:crypto measured 3× that (AES-128 on one block, whose 80 kept bits would no
 * longer be certainly distinct) to 6-9× (a Feistel network on AES; HMAC-SHA256, truncated): 0.3 to 1.2 µs
 * more per id, under 1% of a 150 µs request (test/bench/micro/ids.ts). Any other permutation would change
 * the id of every stored event (ids are derived when read), so this one stays.
 */
export function createEventIds(secret: number): (createdAtMicros: number, seq: number) => string {
  const high = Math.floor(secret / 2 ** 32)
  const keys = Array.from({ length: 5 }, (_, i) => mix32((secret + Math.imul(i + 1, 0x9e3779b9)) ^ high))
  let headMs = -1
  let head = ''
  return (createdAtMicros, seq) => {
    const ms = Math.floor(createdAtMicros / 1000)
    if (ms !== headMs) {
      head = `${ID_PREFIXES.event}-${timeHead(ms)}`
      headMs = ms
    }
    let left = Math.floor(seq / 2 ** 32) >>> 0
    let right = seq >>> 0
    for (let round = 0; round < 4; round++) {
      const next = (left ^ mix32(right ^ keys[round]!)) >>> 0
      left = right
      right = next
    }
    const extra = mix32(left ^ right ^ keys[4]!) & 0xffff
    return head + encode40(extra * 2 ** 24 + (left >>> 8)) + encode40((left & 0xff) * 2 ** 32 + right)
  }
}
