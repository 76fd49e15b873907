import {
  concat,
  encodeAbiParameters,
  encodeFunctionData,
  encodePacked,
  getAddress,
  type Hex,
  keccak256,
  pad,
  parseAbi,
  parseAbiParameters,
  size,
} from 'viem'
import { describe, expect, test } from 'vitest'
import { communityPollAbi } from '../chain/artifacts/CommunityPoll.js'
import { demoTokenAbi } from '../chain/artifacts/DemoToken.js'
import { simpleAccountAbi } from '../chain/artifacts/SimpleAccount.js'
import { decodeAccountCall } from './decodeAccountCall.js'

const account = getAddress('0x6f0ea2e5e0b4e2f7ce8b1bd2e6c0b5e3de5d7e1a')
const token = '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707'
const poll = '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9'
const bob = '0x90F79bf6EB2c4f870365E785982E1f101E93b906'

const erc7579AccountAbi = parseAbi(['function execute(bytes32 mode, bytes executionCalldata)'])
const executionsParameters = parseAbiParameters('(address target, uint256 value, bytes callData)[]')

const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })
const transfer = encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [bob, 5n] })

/** An ERC-7579 mode: call type, exec type, then 30 bytes that must be zero unless `rest` says otherwise. */
function mode(callType: Hex, execType: Hex = '0x00', rest: Hex = pad('0x', { size: 30 })): Hex {
  return concat([callType, execType, rest])
}

const execute7579 = (modeWord: Hex, executionCalldata: Hex) =>
  encodeFunctionData({ abi: erc7579AccountAbi, functionName: 'execute', args: [modeWord, executionCalldata] })

const accountEntry = (callData: Hex) => ({
  path: '0',
  depth: 0,
  to: account,
  value: '0',
  selector: callData.length >= 10 ? callData.slice(0, 10) : null,
  dataHash: keccak256(callData),
  dataLength: size(callData),
})

describe('decodeAccountCall: SimpleAccount v0.7', () => {
  test('execute is the target call itself, at path "0"', () => {
    const callData = encodeFunctionData({
      abi: simpleAccountAbi,
      functionName: 'execute',
      args: [poll, 0n, vote],
    })
    expect(decodeAccountCall({ account, callData })).toEqual([
      {
        path: '0',
        depth: 0,
        role: 'call',
        to: poll,
        value: '0',
        selector: '0x0121b93f',
        dataHash: keccak256(vote),
        dataLength: 36,
      },
    ])
  })

  test('executeBatch is a container for the account call, then each call', () => {
    const callData = encodeFunctionData({
      abi: simpleAccountAbi,
      functionName: 'executeBatch',
      args: [
        [poll, token, bob],
        [0n, 0n, 7n],
        [vote, transfer, '0x'],
      ],
    })
    expect(decodeAccountCall({ account, callData })).toEqual([
      { ...accountEntry(callData), role: 'container' },
      {
        path: '0.0',
        depth: 1,
        role: 'call',
        to: poll,
        value: '0',
        selector: '0x0121b93f',
        dataHash: keccak256(vote),
        dataLength: 36,
      },
      {
        path: '0.1',
        depth: 1,
        role: 'call',
        to: token,
        value: '0',
        selector: '0xa9059cbb',
        dataHash: keccak256(transfer),
        dataLength: 68,
        decoded: { standard: 'erc20', function: 'transfer', args: { to: bob, amount: '5' } },
      },
      {
        path: '0.2',
        depth: 1,
        role: 'call',
        to: bob,
        value: '7',
        selector: null,
        dataHash: keccak256('0x'),
        dataLength: 0,
      },
    ])
  })

  test('executeBatch with an empty value array sends no value with any call', () => {
    const callData = encodeFunctionData({
      abi: simpleAccountAbi,
      functionName: 'executeBatch',
      args: [[poll, token], [], [vote, transfer]],
    })
    const calls = decodeAccountCall({ account, callData })
    expect(calls.map(({ path, to, value }) => ({ path, to, value }))).toEqual([
      { path: '0', to: account, value: '0' },
      { path: '0.0', to: poll, value: '0' },
      { path: '0.1', to: token, value: '0' },
    ])
  })

  test('executeBatch with mismatched arrays is opaque, as the account would revert', () => {
    const callData = encodeFunctionData({
      abi: simpleAccountAbi,
      functionName: 'executeBatch',
      args: [[poll, token], [1n], [vote, transfer]],
    })
    expect(decodeAccountCall({ account, callData })).toEqual([
      {
        ...accountEntry(callData),
        role: 'call',
        opaque: { reason: 'executeBatch has 2 targets, 1 values and 2 call datas' },
      },
    ])
  })

  test('execute with trailing bytes is opaque', () => {
    const callData = concat([
      encodeFunctionData({ abi: simpleAccountAbi, functionName: 'execute', args: [poll, 0n, vote] }),
      '0x00',
    ])
    expect(decodeAccountCall({ account, callData })).toEqual([
      {
        ...accountEntry(callData),
        role: 'call',
        opaque: { reason: 'execute arguments are not canonically ABI-encoded' },
      },
    ])
  })

  test('a batch past 64 entries is one opaque account call', () => {
    const count = 64
    const callData = encodeFunctionData({
      abi: simpleAccountAbi,
      functionName: 'executeBatch',
      args: [Array(count).fill(poll), [], Array(count).fill(vote)],
    })
    expect(decodeAccountCall({ account, callData })).toEqual([
      { ...accountEntry(callData), role: 'call', opaque: { reason: 'more than 64 calls in one request' } },
    ])
  })
})

describe('decodeAccountCall: ERC-7579 execute', () => {
  test('single mode is the packed target call, at path "0"', () => {
    const callData = execute7579(
      mode('0x00'),
      encodePacked(['address', 'uint256', 'bytes'], [token, 3n, transfer]),
    )
    expect(decodeAccountCall({ account, callData })).toEqual([
      {
        path: '0',
        depth: 0,
        role: 'call',
        to: token,
        value: '3',
        selector: '0xa9059cbb',
        dataHash: keccak256(transfer),
        dataLength: 68,
        decoded: { standard: 'erc20', function: 'transfer', args: { to: bob, amount: '5' } },
      },
    ])
  })

  test('single mode with no call data is a plain transfer', () => {
    const callData = execute7579(mode('0x00'), encodePacked(['address', 'uint256'], [bob, 9n]))
    expect(decodeAccountCall({ account, callData })).toMatchObject([
      { path: '0', role: 'call', to: bob, value: '9', selector: null, dataLength: 0 },
    ])
  })

  test('batch mode, with exec type try, is a container then each execution', () => {
    const executions = encodeAbiParameters(executionsParameters, [
      [
        { target: poll, value: 0n, callData: vote },
        { target: token, value: 0n, callData: transfer },
      ],
    ])
    const callData = execute7579(mode('0x01', '0x01'), executions)
    expect(decodeAccountCall({ account, callData })).toEqual([
      { ...accountEntry(callData), role: 'container' },
      {
        path: '0.0',
        depth: 1,
        role: 'call',
        to: poll,
        value: '0',
        selector: '0x0121b93f',
        dataHash: keccak256(vote),
        dataLength: 36,
      },
      {
        path: '0.1',
        depth: 1,
        role: 'call',
        to: token,
        value: '0',
        selector: '0xa9059cbb',
        dataHash: keccak256(transfer),
        dataLength: 68,
        decoded: { standard: 'erc20', function: 'transfer', args: { to: bob, amount: '5' } },
      },
    ])
  })

  const single = encodePacked(['address', 'uint256', 'bytes'], [poll, 0n, vote])
  test.each([
    ['delegatecall', mode('0xff'), single, 'ERC-7579 delegatecall mode'],
    ['static call', mode('0xfe'), single, 'ERC-7579 static call mode'],
    ['an unknown call type', mode('0x02'), single, 'unknown ERC-7579 call type 0x02'],
    ['an unknown exec type', mode('0x00', '0x02'), single, 'unknown ERC-7579 exec type 0x02'],
    [
      'reserved bytes',
      mode('0x00', '0x00', pad('0x01', { dir: 'right', size: 30 })),
      single,
      'ERC-7579 mode has non-zero reserved bytes',
    ],
    [
      'a mode selector',
      mode('0x00', '0x00', concat(['0x0000000001', pad('0x', { size: 25 })])),
      single,
      'ERC-7579 mode selector or payload is set',
    ],
    [
      'a mode payload',
      mode('0x00', '0x00', pad('0x01', { size: 30 })),
      single,
      'ERC-7579 mode selector or payload is set',
    ],
    [
      'a short single execution',
      mode('0x00'),
      encodePacked(['address'], [poll]),
      'ERC-7579 single execution is shorter than 52 bytes',
    ],
    ['a malformed batch', mode('0x01'), single, 'ERC-7579 batch executions are not canonically ABI-encoded'],
  ])('%s is one opaque call to the account', (_label, modeWord, executionCalldata, reason) => {
    const callData = execute7579(modeWord, executionCalldata)
    expect(decodeAccountCall({ account, callData })).toEqual([
      { ...accountEntry(callData), role: 'call', opaque: { reason } },
    ])
  })
})

describe('decodeAccountCall: anything else', () => {
  test('executeUserOp is opaque', () => {
    const callData = concat(['0x8dd7712f', pad('0x', { size: 64 })])
    expect(decodeAccountCall({ account, callData })).toEqual([
      {
        ...accountEntry(callData),
        role: 'call',
        opaque: { reason: 'executeUserOp hands the whole user operation to the account' },
      },
    ])
  })

  test.each([
    ['empty callData', '0x'],
    [
      'another function of the account',
      encodeFunctionData({ abi: simpleAccountAbi, functionName: 'addDeposit' }),
    ],
    ['a token call sent to the account', transfer],
  ] as const)('%s is one opaque call to the account', (_label, callData) => {
    expect(decodeAccountCall({ account, callData })).toEqual([
      {
        ...accountEntry(callData),
        role: 'call',
        opaque: { reason: 'account callData is not execute, executeBatch or ERC-7579 execute' },
      },
    ])
  })
})
