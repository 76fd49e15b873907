import { toHex } from 'viem'
import { mnemonicToAccount, privateKeyToAddress } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { ANVIL_DEV_MNEMONIC, anvilDevAccounts } from './anvilAccounts.js'

describe('anvilDevAccounts', () => {
  it('are the accounts Anvil derives from its default mnemonic', () => {
    const derived = anvilDevAccounts.map((_, addressIndex) => {
      const account = mnemonicToAccount(ANVIL_DEV_MNEMONIC, { addressIndex })
      const privateKey = account.getHdKey().privateKey
      return { address: account.address, privateKey: privateKey ? toHex(privateKey) : undefined }
    })
    expect(derived).toStrictEqual([...anvilDevAccounts])
    expect(anvilDevAccounts.map(({ privateKey }) => privateKeyToAddress(privateKey))).toStrictEqual(
      anvilDevAccounts.map(({ address }) => address),
    )
  })
})
