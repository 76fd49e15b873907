import { BlockList, isIP } from 'node:net'

/**
 * Which destinations the gateway may connect to when it fetches a URL an operator (or, later, a
 * user) configured: chain RPCs, the upstream bundler, webhooks. `private: 'deny'` also refuses
 * loopback and private networks, for deployments where every RPC is public; `'allow'` is the
 * default because a self-hosted node or bundler usually sits on one.
 */
export type OutboundPolicy = { private: 'allow' | 'deny' }

/**
 * Never a legitimate RPC or webhook: link-local (cloud metadata services answer at 169.254.169.254
 * and fd00:ec2::254, Alibaba's at 100.100.100.200), "this network", multicast and reserved ranges.
 */
const alwaysDenied = new BlockList()
alwaysDenied.addSubnet('0.0.0.0', 8, 'ipv4')
alwaysDenied.addSubnet('169.254.0.0', 16, 'ipv4')
alwaysDenied.addAddress('100.100.100.200', 'ipv4')
alwaysDenied.addSubnet('224.0.0.0', 3, 'ipv4')
alwaysDenied.addAddress('::', 'ipv6')
alwaysDenied.addSubnet('fe80::', 10, 'ipv6')
alwaysDenied.addAddress('fd00:ec2::254', 'ipv6')
alwaysDenied.addSubnet('ff00::', 8, 'ipv6')

/** Loopback, RFC 1918, shared address space and unique local addresses. */
const privateNetworks = new BlockList()
privateNetworks.addSubnet('127.0.0.0', 8, 'ipv4')
privateNetworks.addSubnet('10.0.0.0', 8, 'ipv4')
privateNetworks.addSubnet('172.16.0.0', 12, 'ipv4')
privateNetworks.addSubnet('192.168.0.0', 16, 'ipv4')
privateNetworks.addSubnet('100.64.0.0', 10, 'ipv4')
privateNetworks.addAddress('::1', 'ipv6')
privateNetworks.addSubnet('fc00::', 7, 'ipv6')

/**
 * Why the gateway must not connect to `address` (an IP literal) under `policy`, or undefined.
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it carries, so it cannot be
 * used to dress up an internal address.
 */
export function forbiddenAddressReason(address: string, policy: OutboundPolicy): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  const ip = mapped ?? address
  const family = isIP(ip) === 6 ? 'ipv6' : isIP(ip) === 4 ? 'ipv4' : undefined
  if (!family) return `${address} is not an IP address`
  if (alwaysDenied.check(ip, family)) return `${address} is a link-local, metadata or reserved address`
  if (policy.private === 'deny' && privateNetworks.check(ip, family))
    return `${address} is a loopback or private address`
  return undefined
}
