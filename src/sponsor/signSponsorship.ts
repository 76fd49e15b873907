import type { Hex } from 'viem'
import type { SponsoredUserOperationRecord } from '../requests/requestStore.js'
import { signPaymasterData } from './paymasterData.js'
import { type PaymasterFields, paymasterFieldsOf, type SponsorableUserOperation } from './paymasterFields.js'
import type { SponsorDeps } from './sponsorDeps.js'
import { userOperationHashV07 } from './userOperationHash.js'

export type SignedSponsorship = {
  fields: PaymasterFields
  /** What the request record keeps of it, to check it at eth_sendUserOperation and track it on chain. */
  userOperation: SponsoredUserOperationRecord
}

/**
 * Signs paymasterData for exactly this op, valid until `validUntil`, carrying the decision digest
 * the paymaster emits on chain, and works out the op's EntryPoint hash with it. Used when an op
 * is sponsored on the spot and when a held one is approved.
 */
export async function signSponsorship(
  deps: Pick<SponsorDeps, 'chain' | 'signer'>,
  parameters: {
    userOp: SponsorableUserOperation
    validUntil: number
    decisionDigest: Hex
    nonceKey: string
    gasWeiLimits: string[]
  },
): Promise<SignedSponsorship> {
  const { chain } = deps
  const { userOp, validUntil, decisionDigest } = parameters
  const fromBlock = await chain.client.getBlockNumber()
  const paymaster = chain.addresses.paymaster
  const paymasterData = await signPaymasterData({
    chainId: chain.chainId,
    paymaster,
    userOperation: userOp,
    validUntil,
    validAfter: 0,
    decisionDigest,
    signer: deps.signer,
  })
  const userOpHash = userOperationHashV07({
    chainId: chain.chainId,
    entryPoint: chain.addresses.entryPoint,
    userOperation: { ...userOp, paymasterData },
  }).toLowerCase()
  return {
    fields: paymasterFieldsOf(userOp, paymasterData),
    userOperation: {
      userOpHash,
      entryPoint: chain.addresses.entryPoint,
      paymaster,
      paymasterVerificationGasLimit: String(userOp.paymasterVerificationGasLimit),
      paymasterPostOpGasLimit: String(userOp.paymasterPostOpGasLimit),
      paymasterData,
      validUntil,
      decisionDigest,
      fromBlock: fromBlock.toString(),
      nonceKey: parameters.nonceKey,
      gasWeiLimits: parameters.gasWeiLimits,
    },
  }
}
