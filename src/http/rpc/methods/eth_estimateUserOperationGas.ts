import { formatUserOperationRequest } from 'viem/account-abstraction'
import { z } from 'zod'
import { IntentGateError } from '../../../errors/index.js'
import type { BundlerClient } from '../../../sponsor/bundlerClient.js'
import { assertEntryPoint, type SponsorDeps } from '../../../sponsor/sponsorDeps.js'
import { defineRpcMethod } from '../rpcMethod.js'
import { entryPointParam, unsignedUserOperationParam } from './userOperationParams.js'

/** State overrides are passed through to the bundler as given, for its simulation only. */
const stateOverrideParam = z.record(z.string(), z.unknown())

/**
 * eth_estimateUserOperationGas `[userOp, entryPoint, stateOverride?]`, proxied to the upstream
 * bundler for ops paid by this gateway's paymaster (with stub data from pm_getPaymasterStubData):
 * the gateway is no general-purpose bundler.
 */
export function ethEstimateUserOperationGas(deps: Pick<SponsorDeps, 'chain'> & { bundler: BundlerClient }) {
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
      return deps.bundler.request('eth_estimateUserOperationGas', [
        formatUserOperationRequest(userOp),
        entryPoint,
        ...(stateOverride ? [stateOverride] : []),
      ])
    },
  )
}
