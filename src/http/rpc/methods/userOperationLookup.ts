import { z } from 'zod'
import type { BundlerClient } from '../../../sponsor/bundlerClient.js'
import type { SponsorDeps } from '../../../sponsor/sponsorDeps.js'
import { defineRpcMethod } from '../rpcMethod.js'

const userOpHashParam = z.tuple([
  z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a userOpHash: 0x and 64 hex digits'),
])

/**
 * A bundler lookup by userOpHash, proxied for ops this gateway sponsored; any other hash is
 * answered null, as bundlers answer unknown ones, so the gateway proxies nothing of others'.
 */
export function userOperationLookup(
  name: 'eth_getUserOperationReceipt' | 'eth_getUserOperationByHash',
  deps: Pick<SponsorDeps, 'sponsorships'> & { bundler: BundlerClient },
) {
  return defineRpcMethod(name, userOpHashParam, async ([userOpHash]) => {
    if (!(await deps.sponsorships.requestOf(userOpHash))) return null
    return deps.bundler.request(name, [userOpHash])
  })
}
