import { previewSponsorship } from '../../../sponsor/previewSponsorship.js'
import type { SponsorDeps } from '../../../sponsor/sponsorDeps.js'
import { defineRpcMethod } from '../rpcMethod.js'
import { paymasterParams, sponsorParametersOf } from './userOperationParams.js'

/**
 * ERC-7677 pm_getPaymasterStubData `[userOp, entryPoint, chainId, context]`: a provisional policy
 * decision (no counters, nothing logged) and stub paymaster fields with real gas limits for
 * estimation. A denial is refused here already, with its reasons.
 */
export function pmGetPaymasterStubData(deps: SponsorDeps) {
  return defineRpcMethod('pm_getPaymasterStubData', paymasterParams, (params, call) =>
    previewSponsorship(deps, sponsorParametersOf(params, call.authorization)),
  )
}
