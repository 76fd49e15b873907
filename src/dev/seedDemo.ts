import { type Address, encodeFunctionData, type Hex } from 'viem'
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts'
import { loadChainAddresses } from '../chain/addresses.js'
import { communityPollAbi } from '../chain/artifacts/CommunityPoll.js'
import { demoTokenAbi } from '../chain/artifacts/DemoToken.js'
import type { SigningKey } from '../crypto/ed25519.js'
import { forwardRequestTypedData } from '../intents/forwardRequest.js'
import type { RunningGateway } from '../main.js'
import { communityPollManifest } from '../templates/exampleManifest.js'
import { signTemplate } from '../templates/signTemplate.js'

export type DemoSeed = {
  templateDigest: string
  instanceId: string
  token: string
  /** Pre-signed meta-transactions from a throwaway dev user: one the demo template allows, one it does not. */
  requests: { approved: unknown; denied: unknown }
}

/**
 * Publishes the CommunityPoll demo template, signed by the dev authority, creates one instance of
 * it through the same services the admin API uses, and pre-signs two sample requests.
 */
export async function seedDemo(
  gateway: RunningGateway,
  parameters: { authority: SigningKey; addressesFile: string },
): Promise<DemoSeed> {
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

  const voter = privateKeyToAccount(generatePrivateKey())
  const minter = privateKeyToAccount(generatePrivateKey())
  const domain = await gateway.services.pipeline.chains.get(addresses.chainId)?.forwarderDomain()
  if (!domain) throw new Error(`chain ${addresses.chainId} of the fixture is not served`)
  // Fresh users have forwarder nonce 0; the gateway checks signatures against the on-chain nonce.
  const sign = (user: PrivateKeyAccount, to: Address, data: Hex) =>
    signedRequest({
      user,
      to,
      data,
      nonce: 0n,
      chainId: addresses.chainId,
      forwarder: addresses.forwarder,
      domain,
    })
  const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })
  const mint = encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [minter.address, 1n] })
  return {
    templateDigest: record.digest,
    instanceId: instance.id,
    token,
    requests: {
      approved: await sign(voter, addresses.targets.communityPoll, vote),
      denied: await sign(minter, addresses.targets.demoToken, mint),
    },
  }
}

/** A ForwardRequestData body as a micro app sends it, valid for most of a day (policy caps validity at one). */
async function signedRequest(parameters: {
  user: PrivateKeyAccount
  to: Address
  data: Hex
  nonce: bigint
  chainId: number
  forwarder: Address
  domain: { name: string; version: string }
}) {
  const { user, to, data, nonce, chainId, forwarder, domain } = parameters
  const request = {
    from: user.address,
    to,
    value: 0n,
    gas: 200_000n,
    deadline: Math.floor(Date.now() / 1000) + 23 * 3600,
    data,
  }
  const typedData = forwardRequestTypedData({
    request,
    nonce,
    chainId,
    forwarder,
    domainName: domain.name,
    domainVersion: domain.version,
  })
  const signature = await user.signTypedData(typedData)
  return { ...request, value: '0', gas: '200000', signature, chainId }
}
