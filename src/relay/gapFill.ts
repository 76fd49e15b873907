import type { Address, Hash } from 'viem'
import type { Eip1559Fees } from './feeStrategy.js'
import type { RelayTransaction, Signer } from './signer.js'

/** Gas of a plain value transfer to an account without code: the whole cost of a gap filler. */
export const SELF_TRANSFER_GAS = 21_000n

export type GapFillParameters = {
  chainId: number
  /** The relayer key's own address: the filler sends 0 wei to itself. */
  address: Address
  nonce: number
  fees: Eip1559Fees
}

/**
 * The transaction that fills a burned or lost nonce: 0 wei from the relayer to itself, no data. It
 * moves nothing and calls nothing, so it cannot fail once mined, and it is the cheapest transaction
 * that consumes a nonce. The same shape, at higher fees, cancels a stuck transaction.
 */
export function buildGapFillTransaction(parameters: GapFillParameters): RelayTransaction {
  const { chainId, address, nonce, fees } = parameters
  return {
    type: 'eip1559',
    chainId,
    nonce,
    to: address,
    value: 0n,
    data: '0x',
    gas: SELF_TRANSFER_GAS,
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
  }
}

/** The one node call the adapter needs: viem's public client satisfies it. */
export type RawTransactionSender = {
  sendRawTransaction(parameters: { serializedTransaction: `0x02${string}` }): Promise<Hash>
}

/**
 * Signs and broadcasts a gap filler. Errors are the node's, unclassified: the caller runs them through
 * classifyRpcError (nonce-too-low means something already took the nonce, so the gap is gone).
 */
export async function sendGapFill(
  dependencies: { signer: Signer; node: RawTransactionSender },
  parameters: Omit<GapFillParameters, 'address'>,
): Promise<Hash> {
  const { signer, node } = dependencies
  const transaction = buildGapFillTransaction({ ...parameters, address: signer.address })
  const serializedTransaction = await signer.signTransaction(transaction)
  return node.sendRawTransaction({ serializedTransaction })
}
