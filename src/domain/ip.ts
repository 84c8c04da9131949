// IP addresses and CIDR ranges as 128-bit numbers. IPv4 lives in the IPv4-mapped range (::ffff:a.b.c.d),
// so one comparison serves both families and a mapped peer (::ffff:127.0.0.1) matches an IPv4 range.

export type Cidr = { base: bigint; prefix: number; text: string }

const MAPPED = 0xffffn << 32n
const ALL = (1n << 128n) - 1n

/** Strict dotted quad: four decimal parts 0–255, no leading zeros (which some parsers read as octal). */
function parseIpv4(text: string): number | null {
  const parts = text.split('.')
  if (parts.length !== 4) return null
  let value = 0
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return null
    value = value * 256 + Number(part)
  }
  return value
}

function parseIpv6(text: string): bigint | null {
  if (text.length > 45) return null
  let groups: number[] = []
  const halves = text.split('::')
  if (halves.length > 2) return null
  const parseHalf = (half: string, last: boolean): number[] | null => {
    if (half === '') return []
    const out: number[] = []
    const pieces = half.split(':')
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!
      if (last && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece)
        if (v4 === null) return null
        out.push(Math.floor(v4 / 65536), v4 % 65536)
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) out.push(parseInt(piece, 16))
      else return null
    }
    return out
  }
  const head = parseHalf(halves[0]!, halves.length === 1)
  const tail = halves.length === 2 ? parseHalf(halves[1]!, true) : []
  if (!head || !tail) return null
  if (halves.length === 1) {
    if (head.length !== 8) return null
    groups = head
  } else {
    if (head.length + tail.length > 7) return null
    groups = [...head, ...Array(8 - head.length - tail.length).fill(0), ...tail]
  }
  let value = 0n
  for (const group of groups) value = (value << 16n) | BigInt(group)
  return value
}

/** An IPv4 or IPv6 address (no zone, no brackets, no port) as a number, or null. */
export function parseIp(text: string): bigint | null {
  if (text.includes(':')) return parseIpv6(text)
  const v4 = parseIpv4(text)
  return v4 === null ? null : MAPPED | BigInt(v4)
}

export const isIpv4 = (ip: bigint) => ip >> 32n === 0xffffn

/** Dotted quad for IPv4 (mapped included), RFC 5952 text for IPv6 (lowercase, longest zero run as ::). */
export function formatIp(ip: bigint): string {
  if (isIpv4(ip)) return [24n, 16n, 8n, 0n].map((shift) => String((ip >> shift) & 0xffn)).join('.')
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip >> BigInt(112 - 16 * i)) & 0xffffn))
  let bestStart = -1
  let bestLength = 1 // a single zero group is not shortened (RFC 5952 §4.2.2)
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i]
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

const mask = (prefix: number) => (prefix === 0 ? 0n : (ALL << BigInt(128 - prefix)) & ALL)

/** `10.0.0.0/8`, `fd00::/8`, or a bare address (one host). Host bits set below the prefix are refused. */
export function parseCidr(text: string): Cidr | { error: string } {
  const slash = text.indexOf('/')
  const address = slash < 0 ? text : text.slice(0, slash)
  const base = parseIp(address)
  if (base === null) return { error: 'is not an IP address or CIDR range (like 10.0.0.0/8 or fd00::/8)' }
  const width = isIpv4(base) && !address.includes(':') ? 32 : 128
  let bits = width
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1)
    bits = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN
    if (!(bits <= width)) return { error: `has a prefix length that is not a number from 0 to ${width}` }
  }
  const prefix = 128 - width + bits
  if ((base & mask(prefix)) !== base) {
    const network = base & mask(prefix)
    return { error: `has host bits set below /${bits}; did you mean ${formatIp(network)}/${bits}?` }
  }
  return { base, prefix, text }
}

export const inCidr = (ip: bigint, cidr: Cidr) => (ip & mask(cidr.prefix)) === cidr.base

/** The block that stands for one client when counting attempts: the IPv4 address, or the IPv6 /64. */
export function clientBlock(ip: bigint): string {
  return isIpv4(ip) ? formatIp(ip) : `${formatIp(ip & mask(64))}/64`
}
