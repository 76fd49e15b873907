import {
  concat,
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  keccak256,
  maxUint256,
  parseAbi,
} from 'viem'
import { describe, expect, test } from 'vitest'
import { communityPollAbi } from '../chain/artifacts/CommunityPoll.js'
import { demoBadgeAbi } from '../chain/artifacts/DemoBadge.js'
import { demoTokenAbi } from '../chain/artifacts/DemoToken.js'
import { decodeCall } from './decodeCall.js'

const token = '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707'
const poll = '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9'
const badge = '0x0165878A594ca255338adfa4d48449f69242Eb8F'
const alice = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const bob = '0x90F79bf6EB2c4f870365E785982E1f101E93b906'

const erc1155Abi = parseAbi([
  'function safeTransferFrom(address from, address to, uint256 id, uint256 value, bytes data)',
  'function safeBatchTransferFrom(address from, address to, uint256[] ids, uint256[] values, bytes data)',
])

const transfer = (to: Hex, amount: bigint) =>
  encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [to, amount] })
const vote = (option: bigint) =>
  encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] })

describe('decodeCall: well-known token calls', () => {
  test('an ERC-20 transfer is decoded with its amount', () => {
    const data = transfer(bob, 25n * 10n ** 18n)
    expect(decodeCall({ to: token, value: 0n, data })).toEqual([
      {
        path: '0',
        depth: 0,
        role: 'call',
        to: token,
        value: '0',
        selector: '0xa9059cbb',
        dataHash: keccak256(data),
        dataLength: 68,
        decoded: {
          standard: 'erc20',
          function: 'transfer',
          args: { to: bob, amount: '25000000000000000000' },
        },
      },
    ])
  })

  test('approve, transferFrom and setApprovalForAll decode to their shapes', () => {
    const approve = encodeFunctionData({
      abi: demoTokenAbi,
      functionName: 'approve',
      args: [bob, maxUint256],
    })
    const transferFrom = encodeFunctionData({
      abi: demoBadgeAbi,
      functionName: 'transferFrom',
      args: [alice, bob, 7n],
    })
    const approveAll = encodeFunctionData({
      abi: demoBadgeAbi,
      functionName: 'setApprovalForAll',
      args: [bob, true],
    })
    expect(decodeCall({ to: token, value: 0n, data: approve })[0]?.decoded).toEqual({
      standard: 'erc20',
      function: 'approve',
      args: { spender: bob, amount: maxUint256.toString() },
    })
    expect(decodeCall({ to: badge, value: 0n, data: transferFrom })[0]?.decoded).toEqual({
      standard: 'erc20-or-erc721',
      function: 'transferFrom',
      args: { from: alice, to: bob, amount: '7' },
    })
    expect(decodeCall({ to: badge, value: 0n, data: approveAll })[0]?.decoded).toEqual({
      standard: 'erc721-or-erc1155',
      function: 'setApprovalForAll',
      args: { operator: bob, approved: true },
    })
  })

  test('both ERC-721 safeTransferFrom overloads decode to the token id', () => {
    const withoutData = encodeFunctionData({
      abi: demoBadgeAbi,
      functionName: 'safeTransferFrom',
      args: [alice, bob, 3n],
    })
    const withData = encodeFunctionData({
      abi: demoBadgeAbi,
      functionName: 'safeTransferFrom',
      args: [alice, bob, 3n, '0xc0ffee'],
    })
    const expected = {
      standard: 'erc721',
      function: 'safeTransferFrom',
      args: { from: alice, to: bob, tokenId: '3' },
    }
    expect(decodeCall({ to: badge, value: 0n, data: withoutData })[0]?.decoded).toEqual(expected)
    expect(decodeCall({ to: badge, value: 0n, data: withData })[0]?.decoded).toEqual(expected)
  })

  test('ERC-1155 single and batch transfers decode ids and amounts', () => {
    const single = encodeFunctionData({
      abi: erc1155Abi,
      functionName: 'safeTransferFrom',
      args: [alice, bob, 11n, 500n, '0x'],
    })
    const batch = encodeFunctionData({
      abi: erc1155Abi,
      functionName: 'safeBatchTransferFrom',
      args: [alice, bob, [1n, 2n], [10n, 20n], '0x'],
    })
    expect(decodeCall({ to: badge, value: 0n, data: single })[0]?.decoded).toEqual({
      standard: 'erc1155',
      function: 'safeTransferFrom',
      args: { from: alice, to: bob, id: '11', amount: '500' },
    })
    expect(decodeCall({ to: badge, value: 0n, data: batch })[0]?.decoded).toEqual({
      standard: 'erc1155',
      function: 'safeBatchTransferFrom',
      args: { from: alice, to: bob, ids: ['1', '2'], amounts: ['10', '20'] },
    })
  })

  test('an ERC-1155 batch with unequal ids and amounts is opaque', () => {
    const data = encodeFunctionData({
      abi: erc1155Abi,
      functionName: 'safeBatchTransferFrom',
      args: [alice, bob, [1n, 2n], [10n], '0x'],
    })
    expect(decodeCall({ to: badge, value: 0n, data })[0]?.opaque).toEqual({
      reason: 'safeBatchTransferFrom has 2 ids but 1 amounts',
    })
  })
})

describe('decodeCall: plain, unknown and opaque calls', () => {
  test('empty data is a plain transfer with no selector', () => {
    expect(decodeCall({ to: bob, value: 10n ** 18n, data: '0x' })).toEqual([
      {
        path: '0',
        depth: 0,
        role: 'call',
        to: bob,
        value: '1000000000000000000',
        selector: null,
        dataHash: keccak256('0x'),
        dataLength: 0,
      },
    ])
  })

  test('an unknown selector is left to the allow-list, not opaque', () => {
    const data = vote(2n)
    expect(decodeCall({ to: poll, value: 0n, data })).toEqual([
      {
        path: '0',
        depth: 0,
        role: 'call',
        to: poll,
        value: '0',
        selector: '0x0121b93f',
        dataHash: keccak256(data),
        dataLength: 36,
      },
    ])
  })

  test('1 to 3 bytes of data are opaque with no selector', () => {
    expect(decodeCall({ to: poll, value: 0n, data: '0xa9059c' })).toEqual([
      {
        path: '0',
        depth: 0,
        role: 'call',
        to: poll,
        value: '0',
        selector: null,
        dataHash: keccak256('0xa9059c'),
        dataLength: 3,
        opaque: { reason: 'call data of 3 bytes has no selector' },
      },
    ])
  })

  test('a lower-case target comes back checksummed', () => {
    expect(decodeCall({ to: token.toLowerCase() as Hex, value: 0n, data: '0x' })[0]?.to).toBe(token)
  })
})

describe('decodeCall: non-canonical encodings of well-known calls are opaque', () => {
  const canonical = transfer(bob, 5n)
  const transferProblem = { reason: 'transfer(address,uint256) arguments are not canonically ABI-encoded' }

  test('trailing bytes, as an ERC-2771 sender suffix would add', () => {
    const spoofed = concat([canonical, alice])
    expect(decodeCall({ to: token, value: 0n, data: spoofed })[0]?.opaque).toEqual(transferProblem)
  })

  test('dirty high bits in an address word', () => {
    const dirty = `${canonical.slice(0, 10)}ff${canonical.slice(12)}` as Hex
    expect(decodeCall({ to: token, value: 0n, data: dirty })[0]?.opaque).toEqual(transferProblem)
  })

  test('a truncated argument', () => {
    expect(decodeCall({ to: token, value: 0n, data: canonical.slice(0, -2) as Hex })[0]?.opaque).toEqual(
      transferProblem,
    )
  })

  test('a selector with no arguments', () => {
    expect(decodeCall({ to: token, value: 0n, data: '0xa9059cbb' })[0]?.opaque).toEqual(transferProblem)
  })

  test('a bool that is neither 0 nor 1', () => {
    const approveAll = encodeFunctionData({
      abi: demoBadgeAbi,
      functionName: 'setApprovalForAll',
      args: [bob, true],
    })
    const two = `${approveAll.slice(0, -1)}2` as Hex
    expect(decodeCall({ to: badge, value: 0n, data: two })[0]?.opaque).toEqual({
      reason: 'setApprovalForAll(address,bool) arguments are not canonically ABI-encoded',
    })
  })

  test('a bytes argument whose offset points somewhere unusual', () => {
    // The same safeTransferFrom(address,address,uint256,bytes) with its bytes tail moved one word later.
    const args = encodeAbiParameters(
      [
        { type: 'address' },
        { type: 'address' },
        { type: 'uint256' },
        { type: 'uint256' },
        { type: 'uint256' },
      ],
      [alice, bob, 3n, 0xa0n, 0n],
    )
    const data = concat(['0xb88d4fde', args, encodeAbiParameters([{ type: 'uint256' }], [0n])])
    expect(decodeCall({ to: badge, value: 0n, data })[0]?.opaque).toEqual({
      reason: 'safeTransferFrom(address,address,uint256,bytes) arguments are not canonically ABI-encoded',
    })
  })
})
