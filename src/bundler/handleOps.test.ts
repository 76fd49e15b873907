import { encodeErrorResult, type Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import { entryPointAbi } from '../chain/artifacts/EntryPoint.js'
import type { UserOperationV07 } from '../intents/userOperation.js'
import {
  BUNDLE_OVERHEAD_GAS,
  entryPointReasonOf,
  handleOpsGasLimit,
  requiredPreVerificationGas,
  rpcCodeOfReason,
} from './handleOps.js'

const userOp: UserOperationV07 = {
  sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  nonce: 7n,
  callData: `0xb61d27f6${'00'.repeat(100)}${'ab'.repeat(60)}`,
  callGasLimit: 60_000n,
  verificationGasLimit: 250_000n,
  preVerificationGas: 55_000n,
  maxFeePerGas: 3_000_000_000n,
  maxPriorityFeePerGas: 1_000_000_000n,
  paymaster: '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9',
  paymasterVerificationGasLimit: 80_000n,
  paymasterPostOpGasLimit: 40_000n,
  paymasterData: `0x${'12'.repeat(109)}`,
  signature: `0x${'fe'.repeat(65)}`,
}

describe('handleOps of a bundle of one', () => {
  test('the required preVerificationGas depends on the bytes of the op, not on its gas values or signature bytes', () => {
    const required = requiredPreVerificationGas(userOp)
    expect(required).toBeGreaterThan(21_000n + BUNDLE_OVERHEAD_GAS)
    expect(
      requiredPreVerificationGas({
        ...userOp,
        callGasLimit: 1n,
        verificationGasLimit: 0n,
        preVerificationGas: required,
        maxFeePerGas: 0n,
        signature: `0x${'00'.repeat(65)}`,
      }),
    ).toBe(required)
    // 32 more bytes of callData, non-zero: at most 16 gas each (and a word of ABI padding).
    const longer = requiredPreVerificationGas({
      ...userOp,
      callData: `${userOp.callData}${'cd'.repeat(32)}` as Hex,
    })
    expect(longer - required).toBeGreaterThan(0n)
    expect(longer - required).toBeLessThanOrEqual(64n * 16n)
  })

  test('the bundle may use all the gas the op pays for, plus its overhead', () => {
    expect(handleOpsGasLimit(userOp)).toBe(
      60_000n + 250_000n + 55_000n + 80_000n + 40_000n + BUNDLE_OVERHEAD_GAS,
    )
  })

  test('an EntryPoint revert reads as its AA reason, with the ERC-7769 code of that reason', () => {
    const failedOp = encodeErrorResult({
      abi: entryPointAbi,
      errorName: 'FailedOp',
      args: [0n, 'AA24 signature error'],
    })
    expect(entryPointReasonOf(failedOp)).toBe('AA24 signature error')
    const withRevert = encodeErrorResult({
      abi: entryPointAbi,
      errorName: 'FailedOpWithRevert',
      args: [0n, 'AA23 reverted', '0x'],
    })
    expect(entryPointReasonOf(withRevert)).toBe('AA23 reverted: reverted without a reason')
    expect(entryPointReasonOf('0xdeadbeef')).toBe('reverted with 0xdeadbeef')

    expect(rpcCodeOfReason('AA24 signature error')).toBe(-32507)
    expect(rpcCodeOfReason('AA34 signature error')).toBe(-32507)
    expect(rpcCodeOfReason('AA22 expired or not due')).toBe(-32503)
    expect(rpcCodeOfReason('AA32 paymaster expired or not due')).toBe(-32503)
    expect(rpcCodeOfReason('AA31 paymaster deposit too low')).toBe(-32501)
    expect(rpcCodeOfReason('AA25 invalid account nonce')).toBe(-32500)
    expect(rpcCodeOfReason('the bundle would fail: out of gas')).toBe(-32500)
  })
})
