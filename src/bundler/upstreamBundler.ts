import type { Address, Hex } from 'viem'
import { formatUserOperationRequest } from 'viem/account-abstraction'
import type { BundlerClient } from '../sponsor/bundlerClient.js'
import type { SponsorshipStore } from '../sponsor/sponsorshipStore.js'
import type { UserOperationBundler } from './userOperationBundler.js'

/**
 * The bundler methods forwarded to an upstream ERC-4337 bundler (BUNDLER_URL, such as Alto),
 * which simulates, bundles and answers lookups itself. Its refusals reach the client with the
 * bundler's own ERC-4337 code (BUNDLER_REJECTED).
 */
export function createUpstreamBundler(deps: {
  bundler: BundlerClient
  entryPoint: Address
  sponsorships: Pick<SponsorshipStore, 'transition'>
}): UserOperationBundler {
  const { bundler, entryPoint } = deps
  return {
    mode: 'upstream',
    async send(userOp, record) {
      const userOpHash = (await bundler.request('eth_sendUserOperation', [
        formatUserOperationRequest(userOp),
        entryPoint,
      ])) as Hex
      await deps.sponsorships.transition(
        { ...record, userOperation: { ...record.userOperation, submittedAt: new Date().toISOString() } },
        ['sponsored'],
      )
      return userOpHash
    },
    estimate: (userOp, stateOverride) =>
      bundler.request('eth_estimateUserOperationGas', [
        formatUserOperationRequest(userOp),
        entryPoint,
        ...(stateOverride ? [stateOverride] : []),
      ]),
    receipt: (userOpHash) => bundler.request('eth_getUserOperationReceipt', [userOpHash]),
    byHash: (userOpHash) => bundler.request('eth_getUserOperationByHash', [userOpHash]),
  }
}
