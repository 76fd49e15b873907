import type { Address, Hex, TransactionSerializableEIP1559, TransactionSerializedEIP1559 } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Secret } from '../config/secret.js'

/**
 * A fully specified EIP-1559 transaction, ready to sign: the relayer never lets a signer or a node
 * fill in the nonce, the fees or the gas, because those are what the nonce ledger and the fee
 * strategy decide.
 */
export type RelayTransaction = Required<
  Pick<
    TransactionSerializableEIP1559,
    'chainId' | 'nonce' | 'to' | 'value' | 'data' | 'gas' | 'maxFeePerGas' | 'maxPriorityFeePerGas'
  >
> & { type: 'eip1559' }

/**
 * A relayer key. The worker only ever asks for an address and a signed raw transaction, so a KMS or
 * HSM signer is one more implementation of this interface, with no change to the worker.
 */
export interface Signer {
  readonly address: Address
  /** Returns the serialized, signed transaction, ready for eth_sendRawTransaction. */
  signTransaction(transaction: RelayTransaction): Promise<TransactionSerializedEIP1559>
}

/**
 * A signer over a private key held in this process. The key stays inside viem's account closure:
 * the returned object has no property that holds it, so logging the signer cannot leak it.
 */
export function createLocalKeySigner(privateKey: Secret<Hex>): Signer {
  const account = privateKeyToAccount(privateKey.reveal())
  return {
    address: account.address,
    async signTransaction(transaction) {
      const serialized = await account.signTransaction(transaction)
      // viem's return type widens through the account union; the envelope byte says what it is.
      if (!isEip1559Serialized(serialized)) throw new Error('local signer produced a non-EIP-1559 envelope')
      return serialized
    },
  }
}

function isEip1559Serialized(serialized: Hex): serialized is TransactionSerializedEIP1559 {
  return serialized.startsWith('0x02')
}
