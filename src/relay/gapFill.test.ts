import { parseTransaction } from 'viem'
import { describe, expect, test } from 'vitest'
import { anvilDevAccounts } from '../chain/anvilAccounts.js'
import { Secret } from '../config/secret.js'
import { buildGapFillTransaction, SELF_TRANSFER_GAS } from './gapFill.js'
import { createLocalKeySigner } from './signer.js'

describe('buildGapFillTransaction', () => {
  test('a 0-value, data-free self-transfer at the nonce, with the fees given', async () => {
    const signer = createLocalKeySigner(new Secret(anvilDevAccounts[2].privateKey))
    const transaction = buildGapFillTransaction({
      chainId: 10,
      address: signer.address,
      nonce: 41,
      fees: { maxFeePerGas: 7n, maxPriorityFeePerGas: 2n },
    })
    expect(transaction).toStrictEqual({
      type: 'eip1559',
      chainId: 10,
      nonce: 41,
      to: signer.address,
      value: 0n,
      data: '0x',
      gas: SELF_TRANSFER_GAS,
      maxFeePerGas: 7n,
      maxPriorityFeePerGas: 2n,
    })
    const parsed = parseTransaction(await signer.signTransaction(transaction))
    expect(parsed).toMatchObject({ to: signer.address.toLowerCase(), nonce: 41, gas: 21_000n, chainId: 10 })
    expect(parsed.value ?? 0n).toBe(0n)
  })
})
