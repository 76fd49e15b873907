import {
  type Address,
  bytesToHex,
  type Hex,
  hashTypedData,
  hexToBytes,
  isHex,
  keccak256,
  type Signature,
  serializeTransaction,
  type TransactionSerializableEIP1559,
  type TransactionSerializedEIP1559,
  type TypedData,
  type TypedDataDefinition,
} from 'viem'
import { privateKeyToAddress } from 'viem/accounts'
import { nativeSecp256k1 } from './nativeSecp256k1.js'

/**
 * The signing half of a viem `LocalAccount` over a key held in this process, with the elliptic-curve
 * work done by libsecp256k1 instead of viem's pure-JS noble-curves: the same signatures byte for
 * byte (RFC 6979 nonces, low s, v of 27 or 28), about an order of magnitude sooner. The gateway
 * signs on its hot paths: a paymasterData for every sponsored user operation, a transaction for
 * every relayed request.
 */
export type NativeKeyAccount = {
  readonly address: Address
  /** r ‖ s ‖ v over a 32-byte hash, as viem's `sign({ hash, privateKey, to: 'hex' })`. */
  signHash(hash: Hex): Hex
  /** As viem's `LocalAccount.sign`: the signature of a 32-byte digest, r | s | v. */
  sign(parameters: { hash: Hex }): Promise<Hex>
  /** As viem's `LocalAccount.signTypedData`. */
  signTypedData<
    const Types extends TypedData | Record<string, unknown>,
    PrimaryType extends keyof Types | 'EIP712Domain' = keyof Types,
  >(typedData: TypedDataDefinition<Types, PrimaryType>): Promise<Hex>
  /** As viem's `LocalAccount.signTransaction` with its default serializer, for EIP-1559 transactions. */
  signTransaction(transaction: TransactionSerializableEIP1559): Promise<TransactionSerializedEIP1559>
}

/**
 * An account over `privateKey` (32 bytes, hex). The key is kept as bytes inside the closure: the
 * returned object has no property that holds it, so logging the account cannot leak it.
 *
 * @throws RangeError for a private key that is not a valid secp256k1 scalar.
 */
export function nativeKeyAccount(privateKey: Hex): NativeKeyAccount {
  if (!isHex(privateKey, { strict: true }) || privateKey.length !== 66)
    throw new RangeError('a private key is 32 bytes of hex')
  const key = hexToBytes(privateKey)
  if (!nativeSecp256k1.privateKeyVerify(key)) throw new RangeError('not a valid secp256k1 private key')
  const signature = (hash: Hex): Signature => {
    const { signature: rs, recid } = nativeSecp256k1.ecdsaSign(hexToBytes(hash), key)
    return {
      r: bytesToHex(rs.subarray(0, 32)),
      s: bytesToHex(rs.subarray(32)),
      v: recid ? 28n : 27n,
      yParity: recid,
    }
  }
  const signHash = (hash: Hex): Hex => {
    if (!isHex(hash, { strict: true }) || hash.length !== 66)
      throw new RangeError('a hash is 32 bytes of hex')
    const { r, s, yParity } = signature(hash)
    return `${r}${s.slice(2)}${yParity ? '1c' : '1b'}`
  }
  return {
    address: privateKeyToAddress(privateKey),
    signHash,
    async sign({ hash }) {
      return signHash(hash)
    },
    async signTypedData(typedData) {
      return signHash(hashTypedData(typedData))
    },
    async signTransaction(transaction) {
      const eip1559 = { ...transaction, type: 'eip1559' } as const
      return serializeTransaction(eip1559, signature(keccak256(serializeTransaction(eip1559))))
    },
  }
}
