import { z } from 'zod'
import type { UserOperationBundler } from '../../../bundler/userOperationBundler.js'
import { IntentGateError } from '../../../errors/index.js'
import { assertEntryPoint, type SponsorDeps } from '../../../sponsor/sponsorDeps.js'
import { defineRpcMethod } from '../rpcMethod.js'
import { entryPointParam, unsignedUserOperationParam } from './userOperationParams.js'

/** State overrides, for an upstream bundler's simulation only. */
const stateOverrideParam = z.record(z.string(), z.unknown())

/**
 * eth_estimateUserOperationGas `[userOp, entryPoint, stateOverride?]`, for ops paid by this
 * gateway's paymaster (with stub data from pm_getPaymasterStubData) only: the gateway is no
 * general-purpose bundler. Proxied to the upstream bundler, or estimated against the EntryPoint
 * on chain when the gateway bundles itself.
 */
export function ethEstimateUserOperationGas(
  deps: Pick<SponsorDeps, 'chain'> & { bundler: UserOperationBundler },
) {
  return defineRpcMethod(
    'eth_estimateUserOperationGas',
    z.union([
      z.tuple([unsignedUserOperationParam, entryPointParam]),
      z.tuple([unsignedUserOperationParam, entryPointParam, stateOverrideParam]),
    ]),
    async ([userOp, entryPoint, stateOverride]) => {
      assertEntryPoint(deps.chain, entryPoint)
      const paymaster = deps.chain.addresses.paymaster
      if (userOp.paymaster?.toLowerCase() !== paymaster.toLowerCase()) {
        throw new IntentGateError('PAYMASTER_MISMATCH', 'Not sponsored by this gateway', {
          details: `estimate with the paymaster fields of pm_getPaymasterStubData (${paymaster})`,
        })
      }
      return deps.bundler.estimate(userOp, stateOverride)
    },
  )
}
