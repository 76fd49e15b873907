import { concat, encodeFunctionData, type Hex, keccak256 } from 'viem'
import { describe, expect, test } from 'vitest'
import { communityPollAbi } from '../chain/artifacts/CommunityPoll.js'
import { demoTokenAbi } from '../chain/artifacts/DemoToken.js'
import { callDataAtPath, verifiedCallData } from './callDataAtPath.js'
import { decodeCall } from './decodeCall.js'

const token = '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707'
const alice = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const transfer = (amount: bigint) =>
  encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [alice, amount] })
const multicall = (items: Hex[]) =>
  encodeFunctionData({ abi: demoTokenAbi, functionName: 'multicall', args: [items] })
const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })

describe('callDataAtPath', () => {
  test('finds the data of every entry the normalizer produced, nested multicalls included', () => {
    const data = multicall([transfer(1n), multicall([vote, transfer(2n)])])
    const entries = decodeCall({ to: token, value: 0n, data })
    expect(entries.map((entry) => entry.path)).toEqual(['0', '0.0', '0.1', '0.1.0', '0.1.1'])
    for (const entry of entries) {
      const found = callDataAtPath(data, entry.path)
      expect(found && keccak256(found)).toBe(entry.dataHash)
      expect(verifiedCallData(data, entry)).toBe(found)
    }
    expect(callDataAtPath(data, '0.1.1')).toBe(transfer(2n))
  })

  test('a path that leads nowhere is undefined, never a guess', () => {
    const data = multicall([transfer(1n)])
    expect(callDataAtPath(data, '1')).toBeUndefined()
    expect(callDataAtPath(data, '0.1')).toBeUndefined()
    expect(callDataAtPath(data, '0.0.0')).toBeUndefined()
    expect(callDataAtPath(data, '0.x')).toBeUndefined()
    expect(callDataAtPath(transfer(1n), '0.0')).toBeUndefined()
    // A non-canonical multicall is opaque to the normalizer, so it has no inner entries here either.
    expect(callDataAtPath(concat([data, '0x00']), '0.0')).toBeUndefined()
  })

  test('data that does not hash to the entry is refused', () => {
    const data = multicall([transfer(1n)])
    expect(verifiedCallData(data, { path: '0.0', dataHash: keccak256(transfer(2n)) })).toBeUndefined()
  })
})
