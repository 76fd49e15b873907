import {
  concat,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  numberToHex,
  pad,
  parseAbiParameters,
  parseGwei,
  size,
  stringToHex,
} from 'viem'
import {
  formatUserOperationRequest,
  getUserOperationHash,
  type UserOperation,
} from 'viem/account-abstraction'
import { describe, expect, test } from 'vitest'
import { ENTRY_POINT_V07, SIMPLE_ACCOUNT_FACTORY_V07 } from '../chain/addresses.js'
import { communityPollAbi } from '../chain/artifacts/CommunityPoll.js'
import { demoTokenAbi } from '../chain/artifacts/DemoToken.js'
import { simpleAccountAbi } from '../chain/artifacts/SimpleAccount.js'
import { simpleAccountFactoryAbi } from '../chain/artifacts/SimpleAccountFactory.js'
import { userOperationDigest } from './requestDigest.js'
import { normalizeUserOperation, type UserOperationV07, userOperationSchema } from './userOperation.js'

const account = getAddress('0x6f0ea2e5e0b4e2f7ce8b1bd2e6c0b5e3de5d7e1a')
const owner = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const paymaster = '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9'
const poll = '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9'
const token = '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707'
const bob = '0x90F79bf6EB2c4f870365E785982E1f101E93b906'

const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [2n] })
const transfer = encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [bob, 10n ** 18n] })
const callData = encodeFunctionData({
  abi: simpleAccountAbi,
  functionName: 'executeBatch',
  args: [[poll, token], [], [vote, transfer]],
})
const factoryData = encodeFunctionData({
  abi: simpleAccountFactoryAbi,
  functionName: 'createAccount',
  args: [owner, 0n],
})

/** A first user operation of a new SimpleAccount: deploy it, vote and pay, sponsored by the paymaster. */
const userOp = {
  sender: account,
  nonce: 0n,
  factory: SIMPLE_ACCOUNT_FACTORY_V07,
  factoryData,
  callData,
  callGasLimit: 150_000n,
  verificationGasLimit: 400_000n,
  preVerificationGas: 50_000n,
  maxFeePerGas: parseGwei('2'),
  maxPriorityFeePerGas: parseGwei('1'),
  paymaster,
  paymasterVerificationGasLimit: 60_000n,
  paymasterPostOpGasLimit: 20_000n,
  paymasterData: `0x${'ab'.repeat(77)}`,
  signature: `0x${'cd'.repeat(65)}`,
} satisfies UserOperation<'0.7'>

/** What viem and permissionless send over JSON-RPC for that operation. */
const rpcUserOp = formatUserOperationRequest(userOp)

function issuesOf(input: unknown) {
  const result = userOperationSchema.safeParse(input)
  return result.success ? [] : result.error.issues.map(({ path, message }) => ({ path, message }))
}

describe('userOperationSchema', () => {
  test('parses the JSON-RPC form viem sends back into the operation', () => {
    expect(rpcUserOp.nonce).toBe('0x0')
    expect(userOperationSchema.parse(rpcUserOp)).toEqual(userOp)
  })

  test('treats null optional fields as absent', () => {
    const parsed = userOperationSchema.parse({
      ...rpcUserOp,
      factory: null,
      factoryData: null,
      paymaster: null,
      paymasterVerificationGasLimit: null,
      paymasterPostOpGasLimit: null,
      paymasterData: null,
    })
    expect([parsed.factory, parsed.factoryData, parsed.paymaster, parsed.paymasterData]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ])
  })

  test('refuses v0.6 fields', () => {
    expect(issuesOf({ ...rpcUserOp, initCode: '0x', paymasterAndData: '0x' })).toEqual([
      {
        path: [],
        message:
          'unknown fields "initCode", "paymasterAndData"; a v0.7 user operation has sender, nonce, factory, factoryData, callData, callGasLimit, verificationGasLimit, preVerificationGas, maxFeePerGas, maxPriorityFeePerGas, paymaster, paymasterVerificationGasLimit, paymasterPostOpGasLimit, paymasterData, signature',
      },
    ])
  })

  test('refuses factory or paymaster details without the factory or paymaster', () => {
    const { factory: _factory, paymaster: _paymaster, ...rest } = rpcUserOp
    expect(issuesOf(rest)).toEqual([
      { path: ['factoryData'], message: 'factoryData is set but factory is not' },
      {
        path: ['paymasterVerificationGasLimit'],
        message: 'paymasterVerificationGasLimit is set but paymaster is not',
      },
      { path: ['paymasterPostOpGasLimit'], message: 'paymasterPostOpGasLimit is set but paymaster is not' },
      { path: ['paymasterData'], message: 'paymasterData is set but paymaster is not' },
    ])
  })

  test.each([
    ['callGasLimit', numberToHex(2n ** 128n), `"${numberToHex(2n ** 128n)}" is above the uint128 maximum`],
    ['nonce', '12', '"12" is not a hex quantity such as "0x1a"'],
    ['nonce', '0x', '"0x" is not a hex quantity such as "0x1a"'],
    ['maxFeePerGas', 1000, 'expected a uint128 as a hex quantity such as "0x1a"'],
    ['sender', undefined, 'required'],
    ['signature', '0x123', '"0x123" is not hex bytes: expected 0x and an even number of hex digits'],
  ])('%s = %j is refused', (field, value, message) => {
    expect(issuesOf({ ...rpcUserOp, [field]: value })).toEqual([{ path: [field], message }])
  })

  test('accepts quantities with leading zeros', () => {
    expect(userOperationSchema.parse({ ...rpcUserOp, nonce: '0x0001' }).nonce).toBe(1n)
  })
})

/** The digest as requestDigest.ts defines it, packed by hand the way EntryPoint v0.7 packs. */
function digestByHand(op: UserOperationV07, chainId: number, entryPoint: Hex): Hex {
  const initCode = op.factory ? concat([op.factory, op.factoryData ?? '0x']) : '0x'
  const uint128 = (value: bigint) => pad(numberToHex(value), { size: 16 })
  return keccak256(
    encodeAbiParameters(
      parseAbiParameters(
        'bytes32, uint256, address, address, uint256, bytes32, bytes32, bytes32, uint256, bytes32',
      ),
      [
        keccak256(stringToHex('intentgate.userop.v1')),
        BigInt(chainId),
        entryPoint,
        op.sender,
        op.nonce,
        keccak256(initCode),
        keccak256(op.callData),
        concat([uint128(op.verificationGasLimit), uint128(op.callGasLimit)]),
        op.preVerificationGas,
        concat([uint128(op.maxPriorityFeePerGas), uint128(op.maxFeePerGas)]),
      ],
    ),
  )
}

describe('normalizeUserOperation', () => {
  test('turns a sponsored SimpleAccount batch into a user-op Intent', () => {
    const intent = normalizeUserOperation({
      userOp: userOperationSchema.parse(rpcUserOp),
      chainId: 31337,
      entryPoint: ENTRY_POINT_V07,
      validUntil: 1_900_000_000,
    })
    expect(intent).toEqual({
      kind: 'user-op',
      chainId: 31337,
      sender: account,
      calls: [
        {
          path: '0',
          depth: 0,
          role: 'container',
          to: account,
          value: '0',
          selector: '0x47e1da2a',
          dataHash: keccak256(callData),
          dataLength: size(callData),
        },
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
          decoded: {
            standard: 'erc20',
            function: 'transfer',
            args: { to: bob, amount: '1000000000000000000' },
          },
        },
      ],
      // 400k verification + 150k call + 50k pre-verification + 60k paymaster verification + 20k postOp
      gas: { limit: '680000', maxFeePerGas: '2000000000', maxCostWei: '1360000000000000' },
      validUntil: 1_900_000_000,
      nonce: '0',
      requestDigest: digestByHand(userOp, 31337, ENTRY_POINT_V07),
    })
  })

  test('without a paymaster the gas limit is the account’s own limits', () => {
    const {
      paymaster: _p,
      paymasterVerificationGasLimit: _v,
      paymasterPostOpGasLimit: _o,
      paymasterData: _d,
      ...own
    } = userOp
    const intent = normalizeUserOperation({
      userOp: own,
      chainId: 1,
      entryPoint: ENTRY_POINT_V07,
      validUntil: 0,
    })
    expect(intent.gas).toEqual({
      limit: '600000',
      maxFeePerGas: '2000000000',
      maxCostWei: '1200000000000000',
    })
  })

  test('the nonce is decimal, key included', () => {
    const nonce = (5n << 64n) | 3n
    const intent = normalizeUserOperation({
      userOp: { ...userOp, nonce },
      chainId: 1,
      entryPoint: ENTRY_POINT_V07,
      validUntil: 0,
    })
    expect(intent.nonce).toBe('92233720368547758083')
  })
})

describe('userOperationDigest', () => {
  const digest = (op: UserOperationV07, chainId = 31337, entryPoint: Hex = ENTRY_POINT_V07) =>
    userOperationDigest({ userOp: op, chainId, entryPoint })

  test('ignores the signature and every paymaster field, which come after the decision', () => {
    const base = digest(userOp)
    expect(digest({ ...userOp, signature: '0x' })).toBe(base)
    expect(digest({ ...userOp, paymasterData: '0x', paymasterVerificationGasLimit: 1n })).toBe(base)
    expect(digest({ ...userOp, paymaster: undefined, paymasterData: undefined })).toBe(base)
  })

  test.each<[string, Partial<UserOperationV07>]>([
    ['sender', { sender: bob }],
    ['nonce', { nonce: 1n }],
    ['factory', { factory: undefined, factoryData: undefined }],
    ['factoryData', { factoryData: '0x' as Hex }],
    ['callData', { callData: vote }],
    ['callGasLimit', { callGasLimit: 150_001n }],
    ['verificationGasLimit', { verificationGasLimit: 400_001n }],
    ['preVerificationGas', { preVerificationGas: 50_001n }],
    ['maxFeePerGas', { maxFeePerGas: parseGwei('2') + 1n }],
    ['maxPriorityFeePerGas', { maxPriorityFeePerGas: parseGwei('1') + 1n }],
  ])('changes with %s', (_field, change) => {
    expect(digest({ ...userOp, ...change })).not.toBe(digest(userOp))
  })

  test('changes with the chain and the EntryPoint', () => {
    expect(digest(userOp, 1)).not.toBe(digest(userOp))
    expect(digest(userOp, 31337, paymaster)).not.toBe(digest(userOp))
  })

  test('is never the userOpHash', () => {
    const userOpHash = getUserOperationHash({
      userOperation: userOp,
      chainId: 31337,
      entryPointAddress: ENTRY_POINT_V07,
      entryPointVersion: '0.7',
    })
    expect(digest(userOp)).not.toBe(userOpHash)
  })
})
