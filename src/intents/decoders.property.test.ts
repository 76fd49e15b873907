import fc from 'fast-check'
import {
  bytesToHex,
  concat,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  parseAbi,
  parseAbiParameters,
} from 'viem'
import { describe, expect, test } from 'vitest'
import { demoBadgeAbi } from '../chain/artifacts/DemoBadge.js'
import { demoTokenAbi } from '../chain/artifacts/DemoToken.js'
import { simpleAccountAbi } from '../chain/artifacts/SimpleAccount.js'
import { decodeAccountCall } from './decodeAccountCall.js'
import { decodeCall } from './decodeCall.js'
import type { DecodedCall, IntentCall } from './intent.js'
import { MAX_CALL_DEPTH, MAX_INTENT_CALLS } from './intentCall.js'

const erc1155Abi = parseAbi([
  'function safeTransferFrom(address from, address to, uint256 id, uint256 value, bytes data)',
  'function safeBatchTransferFrom(address from, address to, uint256[] ids, uint256[] values, bytes data)',
])
const erc7579Abi = parseAbi(['function execute(bytes32 mode, bytes executionCalldata)'])
const executionsParameters = parseAbiParameters('(address target, uint256 value, bytes callData)[]')

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => getAddress(bytesToHex(bytes)))
const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n })
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((value) => bytesToHex(value))

/** A well-known token call, encoded by viem from the ABI, with the decoding a policy should see. */
type KnownCallCase = { data: Hex; decoded: DecodedCall }

const knownCallCase: fc.Arbitrary<KnownCallCase> = fc.oneof(
  fc.tuple(address, uint256).map(
    ([to, amount]): KnownCallCase => ({
      data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [to, amount] }),
      decoded: { standard: 'erc20', function: 'transfer', args: { to, amount: amount.toString() } },
    }),
  ),
  fc.tuple(address, uint256).map(
    ([spender, amount]): KnownCallCase => ({
      data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'approve', args: [spender, amount] }),
      decoded: { standard: 'erc20', function: 'approve', args: { spender, amount: amount.toString() } },
    }),
  ),
  fc.tuple(address, address, uint256).map(
    ([from, to, amount]): KnownCallCase => ({
      data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'transferFrom', args: [from, to, amount] }),
      decoded: {
        standard: 'erc20-or-erc721',
        function: 'transferFrom',
        args: { from, to, amount: amount.toString() },
      },
    }),
  ),
  fc.tuple(address, address, uint256, fc.option(bytes(80), { nil: undefined })).map(
    ([from, to, tokenId, extra]): KnownCallCase => ({
      data:
        extra === undefined
          ? encodeFunctionData({
              abi: demoBadgeAbi,
              functionName: 'safeTransferFrom',
              args: [from, to, tokenId],
            })
          : encodeFunctionData({
              abi: demoBadgeAbi,
              functionName: 'safeTransferFrom',
              args: [from, to, tokenId, extra],
            }),
      decoded: {
        standard: 'erc721',
        function: 'safeTransferFrom',
        args: { from, to, tokenId: tokenId.toString() },
      },
    }),
  ),
  fc.tuple(address, fc.boolean()).map(
    ([operator, approved]): KnownCallCase => ({
      data: encodeFunctionData({
        abi: demoBadgeAbi,
        functionName: 'setApprovalForAll',
        args: [operator, approved],
      }),
      decoded: { standard: 'erc721-or-erc1155', function: 'setApprovalForAll', args: { operator, approved } },
    }),
  ),
  fc.tuple(address, address, uint256, uint256, bytes(80)).map(
    ([from, to, id, amount, extra]): KnownCallCase => ({
      data: encodeFunctionData({
        abi: erc1155Abi,
        functionName: 'safeTransferFrom',
        args: [from, to, id, amount, extra],
      }),
      decoded: {
        standard: 'erc1155',
        function: 'safeTransferFrom',
        args: { from, to, id: id.toString(), amount: amount.toString() },
      },
    }),
  ),
  fc
    .tuple(address, address, fc.array(fc.tuple(uint256, uint256), { maxLength: 6 }), bytes(40))
    .map(([from, to, pairs, extra]): KnownCallCase => {
      const ids = pairs.map(([id]) => id)
      const amounts = pairs.map(([, amount]) => amount)
      return {
        data: encodeFunctionData({
          abi: erc1155Abi,
          functionName: 'safeBatchTransferFrom',
          args: [from, to, ids, amounts, extra],
        }),
        decoded: {
          standard: 'erc1155',
          function: 'safeBatchTransferFrom',
          args: { from, to, ids: ids.map(String), amounts: amounts.map(String) },
        },
      }
    }),
)

/** A target call in a batch: a known token call, or arbitrary bytes (a vote, a plain transfer, junk). */
const batchItem = fc.record({
  to: address,
  value: uint256,
  call: fc.oneof(
    knownCallCase,
    bytes(120).map((data) => ({ data, decoded: undefined })),
  ),
})

/**
 * Every way `calls` breaks the shape an Intent promises: one top-level call at "0", entries in
 * depth-first order, inner calls numbered in order under the container just before them, and every
 * field in its documented format. Policies find inner calls by path, so they rely on all of it.
 */
function callListProblems(calls: readonly IntentCall[]): string[] {
  const problems: string[] = []
  if (calls.length === 0 || calls.length > MAX_INTENT_CALLS) problems.push(`${calls.length} entries`)
  if (calls[0]?.path !== '0') problems.push('the first entry is not at path "0"')
  const open: { path: string; next: number }[] = []
  for (const call of calls) {
    const segments = call.path.split('.')
    const parentPath = segments.slice(0, -1).join('.')
    while (open.length > 0 && open[open.length - 1]?.path !== parentPath) open.pop()
    const parent = open[open.length - 1]
    const fail = (problem: string) => problems.push(`entry ${call.path}: ${problem}`)
    if (call.depth !== segments.length - 1 || call.depth > MAX_CALL_DEPTH) fail(`depth ${call.depth}`)
    if (call.depth > 0 && parent === undefined) fail('no container before it')
    if (parent && segments[segments.length - 1] !== String(parent.next++)) fail('out of order')
    if (call.role === 'container') open.push({ path: call.path, next: 0 })
    if (call.role === 'container' && (call.opaque || call.decoded)) fail('an opaque or decoded container')
    if (call.opaque && call.decoded) fail('both opaque and decoded')
    if (call.to !== getAddress(call.to)) fail('to is not checksummed')
    if (!/^(0|[1-9]\d*)$/.test(call.value)) fail(`value ${call.value}`)
    if (!/^0x[0-9a-f]{64}$/.test(call.dataHash)) fail(`dataHash ${call.dataHash}`)
    if (call.selector === null ? call.dataLength >= 4 : !/^0x[0-9a-f]{8}$/.test(call.selector)) {
      fail(`selector ${call.selector} for ${call.dataLength} bytes`)
    }
  }
  return problems
}

describe('decoders on random ABI-encoded calls', () => {
  test('every well-known token call decodes back to exactly its arguments', () => {
    fc.assert(
      fc.property(address, knownCallCase, (to, { data, decoded }) => {
        const calls = decodeCall({ to, value: 0n, data })
        expect(calls).toEqual([
          {
            path: '0',
            depth: 0,
            role: 'call',
            to,
            value: '0',
            selector: data.slice(0, 10),
            dataHash: keccak256(data),
            dataLength: (data.length - 2) / 2,
            decoded,
          },
        ])
      }),
    )
  })

  test('a SimpleAccount executeBatch decodes to exactly its calls, in order', () => {
    fc.assert(
      fc.property(address, fc.array(batchItem, { maxLength: 8 }), (account, items) => {
        const callData = encodeFunctionData({
          abi: simpleAccountAbi,
          functionName: 'executeBatch',
          args: [
            items.map((item) => item.to),
            items.map((item) => item.value),
            items.map((item) => item.call.data),
          ],
        })
        expectBatch(decodeAccountCall({ account, callData }), items)
      }),
    )
  })

  test('an ERC-7579 batch decodes to exactly its executions, in order', () => {
    fc.assert(
      fc.property(address, fc.array(batchItem, { maxLength: 8 }), (account, items) => {
        const executions = encodeAbiParameters(executionsParameters, [
          items.map((item) => ({ target: item.to, value: item.value, callData: item.call.data })),
        ])
        const callData = encodeFunctionData({
          abi: erc7579Abi,
          functionName: 'execute',
          args: [`0x01${'00'.repeat(31)}`, executions],
        })
        expectBatch(decodeAccountCall({ account, callData }), items)
      }),
    )
  })
})

/** The batch is a container, then one entry per item with its target, value, bytes and decoding. */
function expectBatch(calls: IntentCall[], items: { to: Hex; value: bigint; call: { data: Hex } }[]): void {
  expect(callListProblems(calls)).toEqual([])
  expect(calls[0]?.role).toBe('container')
  const inner = calls.filter((call) => call.depth === 1)
  expect(inner).toHaveLength(items.length)
  inner.forEach((call, index) => {
    const item = items[index]
    expect({ path: call.path, to: call.to, value: call.value, dataHash: call.dataHash }).toEqual({
      path: `0.${index}`,
      to: item?.to,
      value: item?.value.toString(),
      dataHash: item && keccak256(item.call.data),
    })
  })
}

/** Random bytes, and random bytes behind each selector the decoders look for, so every path is tried. */
const callDataSelectors: Hex[] = [
  '0xa9059cbb',
  '0x23b872dd',
  '0xb88d4fde',
  '0x2eb2c2d6',
  '0xa22cb465',
  '0xac9650d8',
  '0xb61d27f6',
  '0x47e1da2a',
  '0xe9ae5c53',
  '0x8dd7712f',
]
const arbitraryCallData = fc.oneof(
  bytes(300),
  fc
    .tuple(fc.constantFrom(...callDataSelectors), bytes(300))
    .map(([selector, rest]) => concat([selector, rest])),
  // Word-aligned data with small numbers, so offsets and lengths often point inside the data.
  fc
    .tuple(
      fc.constantFrom(...callDataSelectors),
      fc.array(fc.oneof(fc.bigInt({ min: 0n, max: 320n }), uint256), { maxLength: 12 }),
    )
    .map(([selector, words]) =>
      concat([
        selector,
        encodeAbiParameters(
          words.map(() => ({ type: 'uint256' })),
          words,
        ),
      ]),
    ),
)

describe('decoders on arbitrary bytes', () => {
  test('never throw, and always give a well-formed call list', () => {
    fc.assert(
      fc.property(address, uint256, arbitraryCallData, (to, value, data) => {
        expect(callListProblems(decodeCall({ to, value, data }))).toEqual([])
        expect(callListProblems(decodeAccountCall({ account: to, callData: data }))).toEqual([])
      }),
      { numRuns: 500 },
    )
  })

  test('random nestings of multicalls and batches stay well-formed and capped', () => {
    const leaf = fc.oneof(
      knownCallCase.map((item) => item.data),
      bytes(40),
    )
    const { tree } = fc.letrec<{ tree: Hex }>((recurse) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc
          .array(recurse('tree'), { maxLength: 5 })
          .map((items) =>
            encodeFunctionData({ abi: demoTokenAbi, functionName: 'multicall', args: [items] }),
          ),
      ),
    }))
    fc.assert(
      fc.property(address, fc.array(tree, { maxLength: 8 }), (account, items) => {
        const callData = encodeFunctionData({
          abi: simpleAccountAbi,
          functionName: 'executeBatch',
          args: [items.map(() => account), [], items],
        })
        expect(callListProblems(decodeAccountCall({ account, callData }))).toEqual([])
      }),
      { numRuns: 200 },
    )
  }, 30_000)
})
