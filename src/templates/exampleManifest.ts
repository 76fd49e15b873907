import { createHash } from 'node:crypto'
import type { Address } from 'viem'
import { canonicalJson } from '../crypto/canonicalJson.js'
import { TEMPLATE_SCHEMA, type TemplateManifestDocument } from './manifest.js'

export type CommunityPollManifestOptions = {
  chainId: number
  /** ISO 8601 UTC, for example `2030-01-01T00:00:00Z`. */
  expiresAt: string
  /** Default for the `poll` param; without it every instance must name its poll. */
  poll?: Address
  /** Default for the `token` param; without it every instance must name its token. */
  token?: Address
}

/**
 * The software bill of materials the demo template's `sbom.digest` commits to: the demo contracts
 * and the OpenZeppelin release they are built on, as a CycloneDX 1.5 document.
 */
export function communityPollSbom() {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: { component: { type: 'application', name: 'community-poll', version: '1.0.0' } },
    components: [
      {
        type: 'library',
        name: 'CommunityPoll',
        version: '1.0.0',
        description: 'contracts/demo/CommunityPoll.sol',
      },
      { type: 'library', name: 'DemoToken', version: '1.0.0', description: 'contracts/demo/DemoToken.sol' },
      {
        type: 'library',
        group: '@openzeppelin',
        name: 'contracts',
        version: '5.7.0',
        purl: 'pkg:npm/%40openzeppelin/contracts@5.7.0',
      },
    ],
  }
}

/**
 * The manifest document of the CommunityPoll demo template, unsigned: what dev seeding signs, what
 * the tests verify and what the README shows. Instances may vote and donate a little on the poll
 * and move a capped amount of DemoToken. Each sender gets one request per UTC day, each instance
 * `dailyRequestCap` (50 unless the instance says otherwise), and all instances together move at
 * most 1 ETH of value in any 24 hours.
 */
export function communityPollManifest(options: CommunityPollManifestOptions): TemplateManifestDocument {
  const sbomDigest = createHash('sha256').update(canonicalJson(communityPollSbom()), 'utf8').digest('hex')
  return {
    schema: TEMPLATE_SCHEMA,
    id: 'community-poll',
    version: '1.0.0',
    publisher: 'intentgate demo',
    verificationLevel: 1,
    capabilities: ['relay:meta-tx', 'sponsor:user-op'],
    params: {
      poll: {
        type: 'address',
        description: 'The CommunityPoll contract the app votes in',
        ...(options.poll === undefined ? {} : { default: options.poll }),
      },
      token: {
        type: 'address',
        description: 'The DemoToken contract the app moves',
        ...(options.token === undefined ? {} : { default: options.token }),
      },
      dailyRequestCap: {
        type: 'uint256',
        description: 'Requests per UTC day across all users of the instance',
        default: '50',
      },
    },
    intent: {
      chains: [options.chainId],
      calls: [
        {
          to: '{{poll}}',
          functions: [
            { signature: 'vote(uint256)', description: 'Vote for option {0}' },
            { signature: 'donate()', description: 'Donate to the poll', maxValueWei: '10000000000000000' },
          ],
          maxValueWei: '0',
        },
        {
          to: '{{token}}',
          functions: [
            { signature: 'transfer(address,uint256)', description: 'Send {1} base units of IGDEMO to {0}' },
            { signature: 'approve(address,uint256)', description: 'Let {0} spend {1} base units of IGDEMO' },
          ],
        },
      ],
      tokenCaps: [
        {
          token: '{{token}}',
          maxTransferAmount: '100000000000000000000',
          maxApproveAmount: '100000000000000000000',
        },
      ],
      maxTxValueWei: '10000000000000000',
      limits: [
        { scope: 'sender', metric: 'count', window: '1d', max: '1' },
        {
          id: 'instance-daily-requests',
          scope: 'instance',
          metric: 'count',
          window: '1d',
          max: '{{dailyRequestCap}}',
        },
        { scope: 'global', metric: 'valueWei', window: '24h', max: '1000000000000000000' },
      ],
      gas: { maxGasLimit: '500000', maxFeePerGasWei: '100000000000', maxCostWei: '20000000000000000' },
    },
    sbom: { digest: `sha256:${sbomDigest}` },
    expiresAt: options.expiresAt,
  }
}
