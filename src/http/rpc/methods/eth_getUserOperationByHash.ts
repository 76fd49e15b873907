import type { UserOperationBundler } from '../../../bundler/userOperationBundler.js'
import type { SponsorDeps } from '../../../sponsor/sponsorDeps.js'
import { userOperationLookup } from './userOperationLookup.js'

/** eth_getUserOperationByHash `[userOpHash]`: an op this gateway sponsored, as its bundle carried it on chain, or null. */
export function ethGetUserOperationByHash(
  deps: Pick<SponsorDeps, 'sponsorships' | 'requests'> & { bundler: UserOperationBundler },
) {
  return userOperationLookup('eth_getUserOperationByHash', deps)
}
