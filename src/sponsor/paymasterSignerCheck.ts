import type { Address, PublicClient } from 'viem'
import { intentPaymasterAbi } from '../chain/artifacts/IntentPaymaster.js'
import { IntentGateError } from '../errors/index.js'

/** How long a good answer is trusted; a rotation on chain is noticed within this. */
const CHECK_TTL_MS = 30_000

/**
 * Checks that the IntentPaymaster on chain trusts this gateway's signer, before anything is
 * reserved or signed: with the wrong key every sponsored op would fail validation at the bundler
 * (AA34) after its limits were spent. A mismatch fails closed with 503, naming the setting; a good
 * answer is cached briefly, a bad one never.
 */
export function createPaymasterSignerCheck(parameters: {
  client: PublicClient
  paymaster: Address
  signer: Address
  now?: () => number
}): () => Promise<void> {
  const { client, paymaster, signer } = parameters
  const now = parameters.now ?? Date.now
  let trustedAt: number | undefined
  return async function assertPaymasterTrustsSigner() {
    if (trustedAt !== undefined && now() - trustedAt < CHECK_TTL_MS) return
    const onChain = await client.readContract({
      address: paymaster,
      abi: intentPaymasterAbi,
      functionName: 'signer',
    })
    if (onChain.toLowerCase() !== signer.toLowerCase()) {
      trustedAt = undefined
      throw new IntentGateError('DEPENDENCY_UNAVAILABLE', 'The paymaster does not trust this gateway', {
        details: `PAYMASTER_SIGNER_KEY is ${signer}, the IntentPaymaster's signer is ${onChain}`,
      })
    }
    trustedAt = now()
  }
}
