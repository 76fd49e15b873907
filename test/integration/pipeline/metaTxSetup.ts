import { type Address, createWalletClient, encodeFunctionData, type Hex, http } from 'viem'
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { inject } from 'vitest'
import { type ChainAddresses, loadChainAddresses } from '../../../src/chain/addresses.js'
import { ANVIL_DEV_MNEMONIC } from '../../../src/chain/anvilAccounts.js'
import { demoTokenAbi } from '../../../src/chain/artifacts/DemoToken.js'
import type { RunningGateway } from '../../../src/main.js'
import { communityPollManifest } from '../../../src/templates/exampleManifest.js'
import { signTemplate } from '../../../src/templates/signTemplate.js'
import { templateDigest } from '../../../src/templates/templateDigest.js'
import { callJson, type GatewayHarness, type JsonResponse } from '../../support/gatewayHarness.js'
import { fixtureAddressesPath } from '../../support/paths.js'

export const anvilUrl = inject('anvilUrl')
let addressesPromise: Promise<ChainAddresses> | undefined
export const fixtureAddresses = () => (addressesPromise ??= loadChainAddresses(fixtureAddressesPath))

const expiresAt = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
let templateVersion = 0

/**
 * Publishes the demo template at level 2 (so value-moving calls pass the level gate), signed by two
 * authorities, with `overrides` on top, and creates an instance of it. Returns the app token.
 */
export async function demoInstance(
  harness: GatewayHarness,
  gateway: RunningGateway,
  options: {
    overrides?: Record<string, unknown>
    /** Fields of the template's intent to replace, such as its limits. */
    intent?: Record<string, unknown>
    params?: Record<string, string>
    chains?: number[]
  } = {},
) {
  const addresses = await fixtureAddresses()
  templateVersion++
  const base = communityPollManifest({
    chainId: 31337,
    expiresAt,
    poll: addresses.targets.communityPoll,
    token: addresses.targets.demoToken,
  })
  const document = {
    ...base,
    intent: { ...base.intent, chains: options.chains ?? base.intent.chains, ...options.intent },
    version: `9.${templateVersion}.0`,
    verificationLevel: 2,
    ...options.overrides,
  }
  const [first, second] = harness.keys.authorities
  if (!first || !second) throw new Error('the harness has three authorities')
  const published = await callJson(gateway.url, 'POST', '/v1/admin/templates', {
    bearer: harness.keys.admin.operator,
    body: signTemplate(document, [first, second]),
  })
  if (published.status !== 201) throw new Error(`publish failed: ${JSON.stringify(published.body)}`)
  const created = await callJson(gateway.url, 'POST', '/v1/admin/instances', {
    bearer: harness.keys.admin.operator,
    body: { templateDigest: templateDigest(document), params: options.params ?? {} },
  })
  if (created.status !== 201) throw new Error(`instance failed: ${JSON.stringify(created.body)}`)
  const body = created.body as { instance: { id: string }; token: string }
  return { token: body.token, instanceId: body.instance.id, templateDigest: templateDigest(document) }
}

/** A fresh user: a random key no test shares, so per-sender limits and nonces start clean. */
export function freshUser() {
  return privateKeyToAccount(generatePrivateKey())
}

/** Mints DemoToken to `to` straight on chain, as a faucet would; not through the gateway. Anvil account #9 is used only here. */
export async function mintDemoToken(to: Address, amount: bigint) {
  const addresses = await fixtureAddresses()
  const minter = createWalletClient({
    account: mnemonicToAccount(ANVIL_DEV_MNEMONIC, { addressIndex: 9 }),
    chain: foundry,
    transport: http(anvilUrl),
  })
  await minter.writeContract({
    address: addresses.targets.demoToken,
    abi: demoTokenAbi,
    functionName: 'mint',
    args: [to, amount],
  })
}

export const tokenCall = (
  functionName: 'transfer' | 'approve' | 'mint',
  args: readonly [Address, bigint],
): Hex => encodeFunctionData({ abi: demoTokenAbi, functionName, args })

/** The decoded in-toto statement inside a DSSE envelope. */
export function statementOf(envelope: unknown): {
  predicateType: string
  predicate: {
    decision: { allow: boolean; reasons: { code: string; message: string }[] }
    policy: { revision: string; digest: string }
    limits: unknown[]
  }
} {
  const { payload } = envelope as { payload: string }
  return JSON.parse(Buffer.from(payload, 'base64').toString('utf8'))
}

export function attestationOf(response: JsonResponse): { logIndex: number; envelope: unknown } {
  const attestation = (response.body.attestation ?? response.body.error?.attestation) as
    | { logIndex: number; envelope: unknown }
    | undefined
  if (!attestation) throw new Error(`no attestation in ${JSON.stringify(response.body)}`)
  return attestation
}
