import { describe, expect, test } from 'vitest'
import { forbiddenAddressReason } from './outboundAddress.js'

const allow = { private: 'allow' } as const
const deny = { private: 'deny' } as const

describe('forbiddenAddressReason', () => {
  test('metadata, link-local and reserved addresses are refused under either policy', () => {
    for (const address of [
      '169.254.169.254',
      '169.254.0.1',
      '100.100.100.200',
      '0.0.0.0',
      '224.0.0.1',
      'fe80::1',
      'fd00:ec2::254',
      '::',
      '::ffff:169.254.169.254',
    ]) {
      expect(forbiddenAddressReason(address, allow), address).toMatch(/link-local, metadata or reserved/)
      expect(forbiddenAddressReason(address, deny), address).toMatch(/link-local, metadata or reserved/)
    }
  })

  test('loopback and private networks are refused only when the policy denies them', () => {
    for (const address of [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      '::1',
      'fd12::1',
      '::ffff:10.0.0.1',
    ]) {
      expect(forbiddenAddressReason(address, allow), address).toBeUndefined()
      expect(forbiddenAddressReason(address, deny), address).toMatch(/loopback or private/)
    }
  })

  test('public addresses pass, including ones next to the private ranges', () => {
    for (const address of [
      '8.8.8.8',
      '172.32.0.1',
      '172.15.255.255',
      '192.169.0.1',
      '100.128.0.1',
      '2001:4860:4860::8888',
    ]) {
      expect(forbiddenAddressReason(address, deny), address).toBeUndefined()
    }
  })

  test('text that is no IP address is refused', () => {
    expect(forbiddenAddressReason('localhost', allow)).toMatch(/not an IP address/)
  })
})
