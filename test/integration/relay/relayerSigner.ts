import { bytesToHex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { ANVIL_DEV_MNEMONIC } from '../../../src/chain/anvilAccounts.js'
import { Secret } from '../../../src/config/secret.js'
import { createLocalKeySigner, type Signer } from '../../../src/relay/signer.js'

/**
 * A relayer key from the Anvil dev mnemonic. Relay tests use address indices 5..8 only; the others
 * belong to the fixture and to other suites sharing the chain.
 */
export function relayerSigner(addressIndex: 5 | 6 | 7 | 8): Signer {
  const key = mnemonicToAccount(ANVIL_DEV_MNEMONIC, { addressIndex }).getHdKey().privateKey
  if (!key) throw new Error(`no private key derived for address index ${addressIndex}`)
  return createLocalKeySigner(new Secret(bytesToHex(key)))
}
