// Who is on the other end of a request (docs/api.md §1, docs/auth.md "Client address and --trust-proxy"):
// the socket peer, or, when the peer is a trusted proxy, the rightmost X-Forwarded-For entry that is not
// a trusted proxy.
import { formatIp, inCidr, parseIp, type Cidr } from '../domain/ip'

/** An X-Forwarded-For entry: an address, optionally `v4:port`, `[v6]` or `[v6]:port` (some proxies add ports). */
function parseForwarded(entry: string): bigint | null {
  const text = entry.trim()
  const withPort = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text) ?? /^([\d.]+):(\d{1,5})$/.exec(text)
  if (!withPort) return parseIp(text)
  return withPort[2] !== undefined && Number(withPort[2]) > 65535 ? null : parseIp(withPort[1]!)
}

/** The socket's peer address without an IPv6 zone (`fe80::1%eth0`), or null when it is not an address. */
const parsePeer = (peer: string) => parseIp(peer.replace(/%.*$/, ''))

/**
 * Pure: the client address of a request that came from `peer` carrying `forwardedFor` (the header's
 * entries joined by commas, as Headers.get gives them). Entries are read right to left, since each proxy
 * appends what it saw and only entries written by trusted proxies can be believed. At an entry that is not
 * an address we stop and answer the last trusted hop we reached: it is the nearest machine we know of.
 */
export function resolveClientAddress(peer: string, forwardedFor: string | null, trusted: readonly Cidr[]): string {
  const peerIp = parsePeer(peer)
  if (peerIp === null) return peer
  const isTrusted = (ip: bigint) => trusted.some((cidr) => inCidr(ip, cidr))
  if (!forwardedFor || !isTrusted(peerIp)) return formatIp(peerIp)
  let nearest = peerIp
  const entries = forwardedFor.split(',')
  for (let i = entries.length - 1; i >= 0; i--) {
    const ip = parseForwarded(entries[i]!)
    if (ip === null) break
    nearest = ip
    if (!isTrusted(ip)) break
  }
  return formatIp(nearest)
}
