import type { UserOperationBundler } from '../../../bundler/userOperationBundler.js'
import type { SponsorDeps } from '../../../sponsor/sponsorDeps.js'
import { userOperationLookup } from './userOperationLookup.js'

/** eth_getUserOperationReceipt `[userOpHash]`: the receipt of an op this gateway sponsored, or null. */
export function ethGetUserOperationReceipt(
  deps: Pick<SponsorDeps, 'sponsorships' | 'requests'> & { bundler: UserOperationBundler },
) {
  return userOperationLookup('eth_getUserOperationReceipt', deps)
}
