import type { Hex } from 'viem'
import { z } from 'zod'
import type { UserOperationBundler } from '../../../bundler/userOperationBundler.js'
import type { SponsorDeps } from '../../../sponsor/sponsorDeps.js'
import { defineRpcMethod } from '../rpcMethod.js'

const userOpHashParam = z.tuple([
  z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a userOpHash: 0x and 64 hex digits'),
])

/**
 * A bundler lookup by userOpHash, answered for ops this gateway sponsored; any other hash is
 * answered null, as bundlers answer unknown ones, so the gateway looks up nothing of others'.
 */
export function userOperationLookup(
  name: 'eth_getUserOperationReceipt' | 'eth_getUserOperationByHash',
  deps: Pick<SponsorDeps, 'sponsorships' | 'requests'> & { bundler: UserOperationBundler },
) {
  return defineRpcMethod(name, userOpHashParam, async ([hash]) => {
    const userOpHash = hash as Hex
    const digest = await deps.sponsorships.requestOf(userOpHash)
    const record = digest ? await deps.requests.get(digest) : undefined
    if (!record) return null
    return name === 'eth_getUserOperationReceipt'
      ? deps.bundler.receipt(userOpHash, record)
      : deps.bundler.byHash(userOpHash, record)
  })
}
