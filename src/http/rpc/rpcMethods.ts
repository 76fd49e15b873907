import type { UserOperationBundler } from '../../bundler/userOperationBundler.js'
import type { ServedChain } from '../../chain/servedChain.js'
import type { SponsorDeps } from '../../sponsor/sponsorDeps.js'
import { ethChainId } from './methods/eth_chainId.js'
import { ethEstimateUserOperationGas } from './methods/eth_estimateUserOperationGas.js'
import { ethGetUserOperationByHash } from './methods/eth_getUserOperationByHash.js'
import { ethGetUserOperationReceipt } from './methods/eth_getUserOperationReceipt.js'
import { ethSendUserOperation } from './methods/eth_sendUserOperation.js'
import { ethSupportedEntryPoints } from './methods/eth_supportedEntryPoints.js'
import { pmGetPaymasterData } from './methods/pm_getPaymasterData.js'
import { pmGetPaymasterStubData } from './methods/pm_getPaymasterStubData.js'
import type { RpcMethod } from './rpcMethod.js'

/**
 * The methods of POST /rpc in this deployment: eth_chainId and eth_supportedEntryPoints always;
 * the ERC-7677 methods when a paymaster signer is configured; the bundler methods when there is a
 * bundler, upstream (BUNDLER_URL) or the gateway itself (relayer keys and no BUNDLER_URL). A
 * method that is off answers JSON-RPC "method not found".
 */
export function buildRpcMethods(deps: {
  chain: ServedChain
  sponsor?: SponsorDeps | undefined
  bundler?: UserOperationBundler | undefined
}): RpcMethod[] {
  const { chain, sponsor, bundler } = deps
  const methods = [ethChainId({ chain }), ethSupportedEntryPoints({ chain })]
  if (sponsor) methods.push(pmGetPaymasterStubData(sponsor), pmGetPaymasterData(sponsor))
  if (sponsor && bundler) {
    methods.push(
      ethSendUserOperation({ ...sponsor, bundler }),
      ethEstimateUserOperationGas({ chain, bundler }),
      ethGetUserOperationReceipt({ ...sponsor, bundler }),
      ethGetUserOperationByHash({ ...sponsor, bundler }),
    )
  }
  return methods
}
