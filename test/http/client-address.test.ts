import { describe, expect, test } from 'bun:test'
import { parseCidr, type Cidr } from '../../src/domain/ip'
import { resolveClientAddress } from '../../src/http/client-address'

const ranges = (...texts: string[]) => texts.map((text) => parseCidr(text) as Cidr)
const LOCAL_PROXY = ranges('127.0.0.1', '10.0.0.0/8', 'fd00::/8')

describe('client address', () => {
  test.each([
    // [peer, X-Forwarded-For, trusted, client]
    ['203.0.113.9', null, [], '203.0.113.9'],
    ['::ffff:203.0.113.9', null, [], '203.0.113.9'],
    ['2001:DB8::9', null, [], '2001:db8::9'],
    ['fe80::1%eth0', null, [], 'fe80::1'],
    ['unknown', '198.51.100.1', LOCAL_PROXY, 'unknown'],
    // A peer that is not trusted: its header is whatever the client wanted it to be.
    ['203.0.113.9', '198.51.100.1', [], '203.0.113.9'],
    ['203.0.113.9', '198.51.100.1', LOCAL_PROXY, '203.0.113.9'],
    // A trusted peer: the rightmost entry that is not a trusted proxy.
    ['127.0.0.1', '198.51.100.1', LOCAL_PROXY, '198.51.100.1'],
    ['::ffff:127.0.0.1', '198.51.100.1', LOCAL_PROXY, '198.51.100.1'],
    ['127.0.0.1', 'spoofed, 192.0.2.66, 198.51.100.1', LOCAL_PROXY, '198.51.100.1'],
    ['127.0.0.1', '198.51.100.1, 10.1.1.1, 10.2.2.2', LOCAL_PROXY, '198.51.100.1'],
    ['127.0.0.1', '2001:db8::5, fd00::2', LOCAL_PROXY, '2001:db8::5'],
    ['fd00::1', '::ffff:198.51.100.1', LOCAL_PROXY, '198.51.100.1'],
    // Ports and brackets some proxies add.
    ['127.0.0.1', '198.51.100.1:4711', LOCAL_PROXY, '198.51.100.1'],
    ['127.0.0.1', '[2001:db8::5]:4711', LOCAL_PROXY, '2001:db8::5'],
    ['127.0.0.1', '[2001:db8::5]', LOCAL_PROXY, '2001:db8::5'],
    ['127.0.0.1', '  198.51.100.1  ', LOCAL_PROXY, '198.51.100.1'],
    // Several headers arrive joined by ", ", in order.
    ['127.0.0.1', '192.0.2.1, 198.51.100.1', LOCAL_PROXY, '198.51.100.1'],
    // Every entry trusted: the farthest hop we know.
    ['127.0.0.1', '10.0.0.5, 10.0.0.6', LOCAL_PROXY, '10.0.0.5'],
    // An empty header: the peer.
    ['127.0.0.1', '', LOCAL_PROXY, '127.0.0.1'],
    // A malformed entry where a trusted proxy should have written an address: the last trusted hop.
    ['127.0.0.1', '198.51.100.1, garbage', LOCAL_PROXY, '127.0.0.1'],
    ['127.0.0.1', '198.51.100.1, garbage, 10.0.0.7', LOCAL_PROXY, '10.0.0.7'],
    ['127.0.0.1', '198.51.100.1,,10.0.0.7', LOCAL_PROXY, '10.0.0.7'],
    ['127.0.0.1', 'unknown', LOCAL_PROXY, '127.0.0.1'],
    ['127.0.0.1', '198.51.100.1:99999', LOCAL_PROXY, '127.0.0.1'],
    ['127.0.0.1', '198.51.100.1\u0000', LOCAL_PROXY, '127.0.0.1'],
  ] as Array<[string, string | null, Cidr[], string]>)('peer %s, X-Forwarded-For %j', (peer, header, trusted, expected) => {
    expect(resolveClientAddress(peer, header, trusted)).toBe(expected)
  })

  test('a huge header of trusted hops is read in linear time', () => {
    const header = Array(20_000).fill('10.0.0.1').join(',')
    const started = performance.now()
    expect(resolveClientAddress('127.0.0.1', `198.51.100.1,${header}`, LOCAL_PROXY)).toBe('198.51.100.1')
    expect(performance.now() - started).toBeLessThan(1000)
  })
})
