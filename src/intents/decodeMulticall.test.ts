import { concat, encodeFunctionData, type Hex, keccak256, size } from 'viem'
import { describe, expect, test } from 'vitest'
import { communityPollAbi } from '../chain/artifacts/CommunityPoll.js'
import { demoTokenAbi } from '../chain/artifacts/DemoToken.js'
import { decodeCall } from './decodeCall.js'

const token = '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707'
const poll = '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9'
const alice = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const mallory = '0x90F79bf6EB2c4f870365E785982E1f101E93b906'

const transfer = (to: Hex, amount: bigint) =>
  encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [to, amount] })
const multicall = (items: Hex[]) =>
  encodeFunctionData({ abi: demoTokenAbi, functionName: 'multicall', args: [items] })
const vote = (option: bigint) =>
  encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] })

/** `levels` multicalls wrapped around one vote. */
function nestedMulticall(levels: number): Hex {
  let data = vote(1n)
  for (let level = 0; level < levels; level++) data = multicall([data])
  return data
}

describe('decodeCall: multicall', () => {
  test('a forbidden call hidden in a multicall to the same target is surfaced (ERC-2771 + Multicall)', () => {
    // The app is allowed to vote; the multicall also moves the sender's tokens to mallory.
    const drain = transfer(mallory, 1_000n * 10n ** 18n)
    const data = multicall([vote(1n), drain])
    expect(decodeCall({ to: token, value: 0n, data })).toEqual([
      {
        path: '0',
        depth: 0,
        role: 'container',
        to: token,
        value: '0',
        selector: '0xac9650d8',
        dataHash: keccak256(data),
        dataLength: size(data),
      },
      {
        path: '0.0',
        depth: 1,
        role: 'call',
        to: token,
        value: '0',
        selector: '0x0121b93f',
        dataHash: keccak256(vote(1n)),
        dataLength: 36,
      },
      {
        path: '0.1',
        depth: 1,
        role: 'call',
        to: token,
        value: '0',
        selector: '0xa9059cbb',
        dataHash: keccak256(drain),
        dataLength: 68,
        decoded: {
          standard: 'erc20',
          function: 'transfer',
          args: { to: mallory, amount: '1000000000000000000000' },
        },
      },
    ])
  })

  test('an inner call carrying a spoofed sender suffix is opaque', () => {
    // Before OpenZeppelin 4.9.3, Multicall let such a suffix stand in for the forwarded sender.
    const spoofed = concat([transfer(mallory, 1n), alice])
    const calls = decodeCall({ to: token, value: 0n, data: multicall([spoofed]) })
    expect(calls.map(({ path, role, opaque }) => ({ path, role, opaque }))).toEqual([
      { path: '0', role: 'container', opaque: undefined },
      {
        path: '0.0',
        role: 'call',
        opaque: { reason: 'transfer(address,uint256) arguments are not canonically ABI-encoded' },
      },
    ])
  })

  test('nested multicalls get nested paths and depths', () => {
    const data = multicall([vote(0n), multicall([vote(1n), multicall([vote(2n), transfer(alice, 3n)])])])
    const calls = decodeCall({ to: poll, value: 0n, data })
    expect(calls.map(({ path, depth, role, selector }) => ({ path, depth, role, selector }))).toEqual([
      { path: '0', depth: 0, role: 'container', selector: '0xac9650d8' },
      { path: '0.0', depth: 1, role: 'call', selector: '0x0121b93f' },
      { path: '0.1', depth: 1, role: 'container', selector: '0xac9650d8' },
      { path: '0.1.0', depth: 2, role: 'call', selector: '0x0121b93f' },
      { path: '0.1.1', depth: 2, role: 'container', selector: '0xac9650d8' },
      { path: '0.1.1.0', depth: 3, role: 'call', selector: '0x0121b93f' },
      { path: '0.1.1.1', depth: 3, role: 'call', selector: '0xa9059cbb' },
    ])
    expect(calls.every((call) => call.to === poll && call.value === '0')).toBe(true)
    expect(calls[6]?.decoded).toEqual({
      standard: 'erc20',
      function: 'transfer',
      args: { to: alice, amount: '3' },
    })
  })

  test('four levels of multicall are expanded; a fifth stays opaque', () => {
    const four = decodeCall({ to: poll, value: 0n, data: nestedMulticall(4) })
    expect(four.map(({ path, role, opaque }) => ({ path, role, opaque }))).toEqual([
      { path: '0', role: 'container', opaque: undefined },
      { path: '0.0', role: 'container', opaque: undefined },
      { path: '0.0.0', role: 'container', opaque: undefined },
      { path: '0.0.0.0', role: 'container', opaque: undefined },
      { path: '0.0.0.0.0', role: 'call', opaque: undefined },
    ])
    const five = decodeCall({ to: poll, value: 0n, data: nestedMulticall(5) })
    expect(five.map(({ path, depth, role, opaque }) => ({ path, depth, role, opaque }))).toEqual([
      { path: '0', depth: 0, role: 'container', opaque: undefined },
      { path: '0.0', depth: 1, role: 'container', opaque: undefined },
      { path: '0.0.0', depth: 2, role: 'container', opaque: undefined },
      { path: '0.0.0.0', depth: 3, role: 'container', opaque: undefined },
      { path: '0.0.0.0.0', depth: 4, role: 'call', opaque: { reason: 'multicall nested deeper than 4' } },
    ])
  })

  test('a multicall that would exceed 64 entries is one opaque call', () => {
    const fits = decodeCall({
      to: poll,
      value: 0n,
      data: multicall(Array.from({ length: 63 }, () => vote(1n))),
    })
    expect(fits).toHaveLength(64)
    expect(fits.some((call) => call.opaque)).toBe(false)
    const data = multicall(Array.from({ length: 64 }, () => vote(1n)))
    expect(decodeCall({ to: poll, value: 0n, data })).toEqual([
      {
        path: '0',
        depth: 0,
        role: 'call',
        to: poll,
        value: '0',
        selector: '0xac9650d8',
        dataHash: keccak256(data),
        dataLength: size(data),
        opaque: { reason: 'more than 64 calls in one request' },
      },
    ])
  })

  test('the cap counts nested entries: an inner multicall past it is opaque, earlier ones stay expanded', () => {
    const inner = multicall(Array.from({ length: 40 }, () => vote(1n)))
    const calls = decodeCall({ to: poll, value: 0n, data: multicall([inner, inner]) })
    // 1 outer + 2 inner containers + 40 votes fit; the second inner's 40 more would make 83.
    expect(calls).toHaveLength(43)
    expect(calls[42]).toMatchObject({
      path: '0.1',
      role: 'call',
      opaque: { reason: 'more than 64 calls in one request' },
    })
  })

  test('a multicall sent with value is opaque', () => {
    const calls = decodeCall({ to: poll, value: 1n, data: multicall([vote(1n)]) })
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({
      role: 'call',
      value: '1',
      opaque: { reason: 'multicall sent with value' },
    })
  })

  test('a non-canonical multicall argument is opaque', () => {
    const calls = decodeCall({ to: poll, value: 0n, data: concat([multicall([vote(1n)]), '0x00']) })
    expect(calls).toHaveLength(1)
    expect(calls[0]?.opaque).toEqual({
      reason: 'multicall(bytes[]) arguments are not canonically ABI-encoded',
    })
  })

  test('an empty multicall is a container with nothing inside', () => {
    const calls = decodeCall({ to: poll, value: 0n, data: multicall([]) })
    expect(calls.map(({ path, role }) => ({ path, role }))).toEqual([{ path: '0', role: 'container' }])
  })
})
