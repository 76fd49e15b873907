import type { Address, Hex, TransactionSerializableEIP1559, TransactionSerializedEIP1559 } from 'viem'
import type { Secret } from '../config/secret.js'
import { nativeKeyAccount } from '../crypto/nativeKeyAccount.js'

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
 * A signer over a private key held in this process, signing through libsecp256k1 (what viem's
 * local account signs, byte for byte). The key stays inside the account's closure: the returned
 * object has no property that holds it, so logging the signer cannot leak it.
 */
export function createLocalKeySigner(privateKey: Secret<Hex>): Signer {
  const account = nativeKeyAccount(privateKey.reveal())
  return {
    address: account.address,
    signTransaction: (transaction) => account.signTransaction(transaction),
  }
}
