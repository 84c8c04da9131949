import { describe, expect, test } from 'bun:test'
import { clientBlock, formatIp, inCidr, parseCidr, parseIp, type Cidr } from '../../src/domain/ip'

const ip = (text: string) => {
  const value = parseIp(text)
  if (value === null) throw new Error(`not an address: ${text}`)
  return value
}
const cidr = (text: string) => parseCidr(text) as Cidr

describe('parseIp and formatIp', () => {
  test.each([
    ['127.0.0.1', '127.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::1', '::1'],
    ['::', '::'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group stays
    ['fe80:0000:0000:0000:0202:b3ff:fe1e:8329', 'fe80::202:b3ff:fe1e:8329'],
    ['::ffff:127.0.0.1', '127.0.0.1'], // IPv4-mapped: the IPv4 address
    ['::ffff:7f00:1', '127.0.0.1'],
    ['1::', '1::'],
  ])('%s reads back as %s', (text, formatted) => {
    expect(formatIp(ip(text))).toBe(formatted)
  })

  test.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4 ', '-1.2.3.4', '1.2.3.x', ':::', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', '::1%eth0', '[::1]', '1.2.3.4:80', '1:2:3:4:5:6:7::8:9', '::ffff:1.2.3', 'localhost', '\u0000', '١.٢.٣.٤'])(
    '%j is not an address',
    (text) => {
      expect(parseIp(text)).toBeNull()
    },
  )
})

describe('CIDR ranges', () => {
  test('IPv4 and IPv6 ranges, bare addresses as single hosts', () => {
    expect(inCidr(ip('10.1.2.3'), cidr('10.0.0.0/8'))).toBe(true)
    expect(inCidr(ip('11.0.0.1'), cidr('10.0.0.0/8'))).toBe(false)
    expect(inCidr(ip('192.0.2.7'), cidr('192.0.2.7'))).toBe(true)
    expect(inCidr(ip('192.0.2.8'), cidr('192.0.2.7'))).toBe(false)
    expect(inCidr(ip('fd00::1'), cidr('fd00::/8'))).toBe(true)
    expect(inCidr(ip('fe00::1'), cidr('fd00::/8'))).toBe(false)
    expect(inCidr(ip('::1'), cidr('::1'))).toBe(true)
    expect(inCidr(ip('2001:db8::1'), cidr('::/0'))).toBe(true)
  })

  test('an IPv4-mapped peer matches an IPv4 range; an IPv4 /0 covers only IPv4', () => {
    expect(inCidr(ip('::ffff:127.0.0.1'), cidr('127.0.0.0/8'))).toBe(true)
    expect(inCidr(ip('127.0.0.1'), cidr('::ffff:127.0.0.0/104'))).toBe(true)
    expect(inCidr(ip('8.8.8.8'), cidr('0.0.0.0/0'))).toBe(true)
    expect(inCidr(ip('::1'), cidr('0.0.0.0/0'))).toBe(false)
    expect(inCidr(ip('::7f00:1'), cidr('127.0.0.0/8'))).toBe(false) // IPv4-compatible is not mapped
  })

  test('bad ranges say why', () => {
    expect(parseCidr('10.0.0.0/33')).toEqual({ error: 'has a prefix length that is not a number from 0 to 32' })
    expect(parseCidr('fd00::/129')).toEqual({ error: 'has a prefix length that is not a number from 0 to 128' })
    expect(parseCidr('10.0.0.0/')).toHaveProperty('error')
    expect(parseCidr('10.0.0.0/-1')).toHaveProperty('error')
    expect(parseCidr('10.0.0.0/8/8')).toHaveProperty('error')
    expect(parseCidr('10.0.0.0/ 8')).toHaveProperty('error')
    expect(parseCidr('example.com/8')).toEqual({ error: 'is not an IP address or CIDR range (like 10.0.0.0/8 or fd00::/8)' })
    expect(parseCidr('10.1.0.0/8')).toEqual({ error: 'has host bits set below /8; did you mean 10.0.0.0/8?' })
    expect(parseCidr('fd00::1/64')).toEqual({ error: 'has host bits set below /64; did you mean fd00::/64?' })
  })

  test('the block that counts as one client: IPv4 address, IPv6 /64', () => {
    expect(clientBlock(ip('192.0.2.1'))).toBe('192.0.2.1')
    expect(clientBlock(ip('::ffff:192.0.2.1'))).toBe('192.0.2.1')
    expect(clientBlock(ip('2001:db8:1:2:3:4:5:6'))).toBe('2001:db8:1:2::/64')
  })
})
