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
