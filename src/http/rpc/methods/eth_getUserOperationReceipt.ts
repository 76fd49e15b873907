import type { BundlerClient } from '../../../sponsor/bundlerClient.js'
import type { SponsorDeps } from '../../../sponsor/sponsorDeps.js'
import { userOperationLookup } from './userOperationLookup.js'

/** eth_getUserOperationReceipt `[userOpHash]`: the bundler's receipt of an op this gateway sponsored, or null. */
export function ethGetUserOperationReceipt(
  deps: Pick<SponsorDeps, 'sponsorships'> & { bundler: BundlerClient },
) {
  return userOperationLookup('eth_getUserOperationReceipt', deps)
}
