import { encodeFunctionData, type Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import { demoTokenAbi } from '../chain/artifacts/DemoToken.js'
import { decodeCall } from '../intents/decodeCall.js'
import type { ResolvedCall } from '../templates/resolveInstanceIntent.js'
import { describeCalls } from './describeCalls.js'

const token = '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707'
const poll = '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9'
const alice = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const transfer = (amount: bigint) =>
  encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [alice, amount] })
const mint = encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [alice, 1n] })
const multicall = (items: Hex[]) =>
  encodeFunctionData({ abi: demoTokenAbi, functionName: 'multicall', args: [items] })

const allowed: ResolvedCall[] = [
  {
    to: token,
    maxValueWei: '0',
    functions: [
      {
        signature: 'transfer(address,uint256)',
        selector: '0xa9059cbb',
        description: 'Send {1} base units of IGDEMO to {0}',
      },
      { signature: 'approve(address,uint256)', selector: '0x095ea7b3' },
    ],
  },
]

function describeRequest(to: Hex, data: Hex, value = 0n) {
  return describeCalls({ calls: decodeCall({ to, value, data }), allowed, rootData: data })
}

describe('describeCalls', () => {
  test('a listed function with a description is rendered from the call arguments', () => {
    const [call] = describeRequest(token, transfer(5n))
    expect(call).toStrictEqual({
      path: '0',
      depth: 0,
      role: 'call',
      to: token,
      value: '0',
      selector: '0xa9059cbb',
      function: 'transfer(address,uint256)',
      description: {
        source: 'template',
        text: `Send 5 base units of IGDEMO to ${alice}`,
        parts: [
          { text: 'Send ' },
          { arg: 1, type: 'uint256', value: '5' },
          { text: ' base units of IGDEMO to ' },
          { arg: 0, type: 'address', value: alice },
        ],
      },
    })
  })

  test('a multicall is summarised, and each inner call described from its own bytes', () => {
    const calls = describeRequest(token, multicall([transfer(1n), mint, transfer(2n)]))
    expect(calls.map((call) => [call.path, call.description.source, call.description.text])).toStrictEqual([
      ['0', 'gateway', `Run 3 calls on ${token} in one multicall`],
      ['0.0', 'template', `Send 1 base units of IGDEMO to ${alice}`],
      ['0.1', 'gateway', `Call function 0x40c10f19 on ${token}, which this template does not list`],
      ['0.2', 'template', `Send 2 base units of IGDEMO to ${alice}`],
    ])
  })

  test('without a template description the gateway says only what it knows', () => {
    const approve = encodeFunctionData({ abi: demoTokenAbi, functionName: 'approve', args: [alice, 1n] })
    expect(describeRequest(token, approve)[0]).toMatchObject({
      function: 'approve(address,uint256)',
      description: { source: 'gateway', text: `Call approve(address,uint256) on ${token}` },
    })
    expect(describeRequest(poll, '0x', 7n)[0]?.description.text).toBe(`Send 7 wei to ${poll}`)
    expect(describeRequest(poll, '0x')[0]?.description.text).toBe(`Call ${poll} with no data`)
    // A listed selector on another target is not that template function.
    expect(describeRequest(poll, transfer(1n))[0]).not.toHaveProperty('function')
  })

  test('an opaque call is never described by its template, even when its selector is listed', () => {
    const [call] = describeRequest(token, `${transfer(1n)}00`)
    expect(call?.opaque?.reason).toMatch(/not canonically ABI-encoded/)
    expect(call?.description.source).toBe('gateway')
    expect(call?.description.text).toMatch(/^Call 0x5FC8.*, which cannot be read: /)
  })
})
