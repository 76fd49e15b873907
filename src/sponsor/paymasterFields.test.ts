import { type Address, size } from 'viem'
import { describe, expect, test } from 'vitest'
import type { UserOperationV07 } from '../intents/userOperation.js'
import { decodePaymasterData } from './paymasterData.js'
import {
  PAYMASTER_POST_OP_GAS_LIMIT,
  PAYMASTER_VERIFICATION_GAS_LIMIT,
  paymasterFieldsOf,
  stubPaymasterData,
  withIntentPaymaster,
} from './paymasterFields.js'

const paymaster: Address = '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9'
const op: UserOperationV07 = {
  sender: '0x0000000000000000000000000000000000000001',
  nonce: 0n,
  callData: '0x',
  callGasLimit: 0n,
  verificationGasLimit: 0n,
  preVerificationGas: 0n,
  maxFeePerGas: 1n,
  maxPriorityFeePerGas: 1n,
  signature: '0x',
}

describe('the paymaster fields of a sponsored op', () => {
  test('an op without a paymaster gets ours with our gas limits', () => {
    expect(withIntentPaymaster(op, paymaster)).toMatchObject({
      paymaster,
      paymasterVerificationGasLimit: PAYMASTER_VERIFICATION_GAS_LIMIT,
      paymasterPostOpGasLimit: PAYMASTER_POST_OP_GAS_LIMIT,
      paymasterData: '0x',
    })
  })

  test("keeps our stub's lower limits, replaces another paymaster's, and refuses higher ones", () => {
    const lower = {
      ...op,
      paymaster,
      paymasterVerificationGasLimit: 50_000n,
      paymasterPostOpGasLimit: 20_000n,
    }
    expect(withIntentPaymaster(lower, paymaster).paymasterVerificationGasLimit).toBe(50_000n)
    const other = { ...lower, paymaster: '0x0000000000000000000000000000000000000002' as const }
    expect(withIntentPaymaster(other, paymaster)).toMatchObject({
      paymaster,
      paymasterVerificationGasLimit: PAYMASTER_VERIFICATION_GAS_LIMIT,
    })
    const higher = { ...lower, paymasterPostOpGasLimit: PAYMASTER_POST_OP_GAS_LIMIT + 1n }
    expect(() => withIntentPaymaster(higher, paymaster)).toThrow('Paymaster gas limits')
  })

  test('stub data has the layout and size of real paymasterData', () => {
    const stub = stubPaymasterData(1_900_000_000)
    expect(size(stub)).toBe(44 + 65)
    expect(decodePaymasterData(stub)).toMatchObject({ validUntil: 1_900_000_000, validAfter: 0 })
  })

  test('formats quantities as JSON-RPC hex', () => {
    expect(paymasterFieldsOf(withIntentPaymaster(op, paymaster), '0x12')).toStrictEqual({
      paymaster,
      paymasterData: '0x12',
      paymasterVerificationGasLimit: '0x13880',
      paymasterPostOpGasLimit: '0x9c40',
    })
  })
})
