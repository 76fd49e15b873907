import { inspect } from 'node:util'
import { parseTransaction, recoverTransactionAddress } from 'viem'
import { describe, expect, test } from 'vitest'
import { anvilDevAccounts } from '../chain/anvilAccounts.js'
import { Secret } from '../config/secret.js'
import { createLocalKeySigner, type RelayTransaction } from './signer.js'

const devAccount = anvilDevAccounts[3]

const transaction: RelayTransaction = {
  type: 'eip1559',
  chainId: 31337,
  nonce: 4,
  to: '0x1111111111111111111111111111111111111111',
  value: 0n,
  data: '0x',
  gas: 21_000n,
  maxFeePerGas: 3_000_000_000n,
  maxPriorityFeePerGas: 1_000_000_000n,
}

describe('createLocalKeySigner', () => {
  test('signs exactly the transaction given, recoverable to its address', async () => {
    const signer = createLocalKeySigner(new Secret(devAccount.privateKey))
    expect(signer.address).toBe(devAccount.address)
    const serialized = await signer.signTransaction(transaction)
    expect(await recoverTransactionAddress({ serializedTransaction: serialized })).toBe(devAccount.address)
    expect(parseTransaction(serialized)).toMatchObject({
      nonce: 4,
      gas: 21_000n,
      maxFeePerGas: 3_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
      chainId: 31337,
    })
  })

  test('the key never prints: not through inspect, JSON or string interpolation', () => {
    const key = new Secret(devAccount.privateKey)
    const signer = createLocalKeySigner(key)
    const secretHex = devAccount.privateKey.slice(2)
    for (const printed of [
      inspect(signer, { depth: 10, showHidden: true }),
      JSON.stringify(signer),
      `${key}`,
    ]) {
      expect(printed).not.toContain(secretHex)
    }
  })
})
