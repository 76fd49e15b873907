import type { BundlerClient } from '../../../sponsor/bundlerClient.js'
import type { SponsorDeps } from '../../../sponsor/sponsorDeps.js'
import { userOperationLookup } from './userOperationLookup.js'

/** eth_getUserOperationByHash `[userOpHash]`: the bundler's view of an op this gateway sponsored, or null. */
export function ethGetUserOperationByHash(
  deps: Pick<SponsorDeps, 'sponsorships'> & { bundler: BundlerClient },
) {
  return userOperationLookup('eth_getUserOperationByHash', deps)
}
