import { z } from 'zod'
import type { UserOperationBundler } from '../../../bundler/userOperationBundler.js'
import { userOperationSchema } from '../../../intents/userOperation.js'
import { checkSponsoredOperation } from '../../../sponsor/checkSponsoredOperation.js'
import type { SponsorDeps } from '../../../sponsor/sponsorDeps.js'
import { defineRpcMethod } from '../rpcMethod.js'
import { entryPointParam } from './userOperationParams.js'

/**
 * eth_sendUserOperation `[userOp, entryPoint]`: sends on only an op that carries this gateway's
 * valid paymaster signature for exactly this op, for a sponsorship that is recorded and still
 * valid; to the upstream bundler, or into the gateway's own bundle (self-bundling). Answers the
 * userOpHash.
 */
export function ethSendUserOperation(
  deps: Pick<
    SponsorDeps,
    'chain' | 'signer' | 'requests' | 'now' | 'killSwitch' | 'instances' | 'registry'
  > & {
    bundler: UserOperationBundler
  },
) {
  return defineRpcMethod(
    'eth_sendUserOperation',
    z.tuple([userOperationSchema, entryPointParam]),
    async ([userOp, entryPoint]) => {
      const record = await checkSponsoredOperation(deps, { userOp, entryPoint })
      return deps.bundler.send(userOp, record)
    },
  )
}
