import { formatUserOperationRequest } from 'viem/account-abstraction'
import { z } from 'zod'
import { userOperationSchema } from '../../../intents/userOperation.js'
import type { BundlerClient } from '../../../sponsor/bundlerClient.js'
import { checkSponsoredOperation } from '../../../sponsor/checkSponsoredOperation.js'
import type { SponsorDeps } from '../../../sponsor/sponsorDeps.js'
import { defineRpcMethod } from '../rpcMethod.js'
import { entryPointParam } from './userOperationParams.js'

/**
 * eth_sendUserOperation `[userOp, entryPoint]`: relays to the upstream bundler only an op that
 * carries this gateway's valid paymaster signature for exactly this op, for a sponsorship that
 * is recorded and still valid. Answers the bundler's userOpHash.
 */
export function ethSendUserOperation(
  deps: Pick<
    SponsorDeps,
    'chain' | 'signer' | 'requests' | 'now' | 'sponsorships' | 'killSwitch' | 'instances' | 'registry'
  > & { bundler: BundlerClient },
) {
  return defineRpcMethod(
    'eth_sendUserOperation',
    z.tuple([userOperationSchema, entryPointParam]),
    async ([userOp, entryPoint]) => {
      const record = await checkSponsoredOperation(deps, { userOp, entryPoint })
      const userOpHash = await deps.bundler.request('eth_sendUserOperation', [
        formatUserOperationRequest(userOp),
        entryPoint,
      ])
      await deps.sponsorships.transition(
        { ...record, userOperation: { ...record.userOperation, submittedAt: new Date().toISOString() } },
        ['sponsored'],
      )
      return userOpHash
    },
  )
}
