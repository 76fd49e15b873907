import type { SponsorDeps } from '../../../sponsor/sponsorDeps.js'
import { sponsorUserOperation } from '../../../sponsor/sponsorUserOperation.js'
import { defineRpcMethod } from '../rpcMethod.js'
import { paymasterParams, sponsorParametersOf } from './userOperationParams.js'

/**
 * ERC-7677 pm_getPaymasterData `[userOp, entryPoint, chainId, context]`: the full decision
 * pipeline, then paymaster fields signed by the IntentPaymaster key for exactly this op.
 */
export function pmGetPaymasterData(deps: SponsorDeps) {
  return defineRpcMethod('pm_getPaymasterData', paymasterParams, (params, call) =>
    sponsorUserOperation(deps, sponsorParametersOf(params, call.authorization)),
  )
}
