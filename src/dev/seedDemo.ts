import { loadChainAddresses } from '../chain/addresses.js'
import type { SigningKey } from '../crypto/ed25519.js'
import type { RunningGateway } from '../main.js'
import { communityPollManifest } from '../templates/exampleManifest.js'
import { signTemplate } from '../templates/signTemplate.js'

export type DemoSeed = { templateDigest: string; instanceId: string; token: string }

/**
 * Publishes the CommunityPoll demo template, signed by the dev authority, and creates one
 * instance of it, through the same services the admin API uses.
 */
export async function seedDemo(
  gateway: RunningGateway,
  parameters: { authority: SigningKey; addressesFile: string },
) {
  const addresses = await loadChainAddresses(parameters.addressesFile)
  const manifest = communityPollManifest({
    chainId: addresses.chainId,
    expiresAt: new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
    poll: addresses.targets.communityPoll,
    token: addresses.targets.demoToken,
  })
  const { record } = await gateway.services.registry.publish(
    signTemplate(manifest, [parameters.authority]),
    'dev',
  )
  const { instance, token } = await gateway.services.instances.create(
    { templateDigest: record.digest, params: {} },
    'dev',
  )
  return { templateDigest: record.digest, instanceId: instance.id, token } satisfies DemoSeed
}
