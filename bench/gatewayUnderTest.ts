import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { encodeFunctionData } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { type ChainAddresses, loadChainAddresses } from '../src/chain/addresses.js'
import { fixtureAccounts } from '../src/chain/anvilAccounts.js'
import { communityPollAbi } from '../src/chain/artifacts/CommunityPoll.js'
import { loadConfig } from '../src/config/loadConfig.js'
import { exportSigningKey, formatPublicKey, generateSigningKey } from '../src/crypto/ed25519.js'
import { recoverSigner } from '../src/crypto/recoverAddress.js'
import { type AnvilInstance, startAnvil, steadyMiningArgs } from '../src/devtools/anvil.js'
import { type RedisServerInstance, startRedisServer } from '../src/devtools/redisServer.js'
import { onError } from '../src/http/errorResponse.js'
import type { RequestContextVariables } from '../src/http/middleware/requestContext.js'
import { readJson } from '../src/http/readJson.js'
import { forwardRequestBodySchema, forwardRequestTypedData } from '../src/intents/forwardRequest.js'
import { hashForwardRequest } from '../src/intents/forwardRequestHash.js'
import { type RunningGateway, startGateway } from '../src/main.js'
import { communityPollManifest } from '../src/templates/exampleManifest.js'
import { signTemplate } from '../src/templates/signTemplate.js'

const fixture = (name: string) => fileURLToPath(new URL(`../anvil-fixtures/${name}`, import.meta.url))

export type GatewayUnderTest = {
  gateway: RunningGateway
  redis: RedisServerInstance
  anvil: AnvilInstance
  addresses: ChainAddresses
  token: string
  forwarderDomain: { name: string; version: string }
  stop(): Promise<void>
}

/**
 * A real gateway as production runs its api role (its own throwaway redis-server, Anvil from the
 * fixture state, the built-in policy, a log on disk, BullMQ relay queues, the fixture paymaster's
 * signer), with the demo template published (gas caps raised for account deployment) and one
 * instance whose daily cap will not bind, so every signed vote or user operation from a fresh
 * sender is allowed.
 */
export async function startGatewayUnderTest(
  options: { env?: Record<string, string> } = {},
): Promise<GatewayUnderTest> {
  const [redis, anvil] = await Promise.all([
    startRedisServer(),
    startAnvil({ stateFile: fixture('state.json'), extraArgs: [...steadyMiningArgs] }),
  ])
  const authority = generateSigningKey()
  const gateway = await startGateway(
    loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'igbench:',
      CHAIN_RPC_URLS: `31337=${anvil.url}`,
      TEMPLATE_AUTHORITY_KEYS: formatPublicKey(authority),
      TOKEN_SIGNING_KEY: exportSigningKey(generateSigningKey()),
      ATTESTATION_SIGNING_KEY: exportSigningKey(generateSigningKey()),
      LOG_SIGNING_KEY: exportSigningKey(generateSigningKey()),
      DATA_DIR: mkdtempSync(join(tmpdir(), 'intentgate-bench-log-')),
      // (d): the gateway signs for the fixture's IntentPaymaster; no bundler is needed to sponsor.
      PAYMASTER_SIGNER_KEY: fixtureAccounts.paymasterSigner.privateKey,
      ...options.env,
    }),
    // The api role decides and enqueues the relay job; no worker competes for the cores.
    { role: 'api' },
  )
  const addresses = await loadChainAddresses(fixture('addresses.json'))
  const demo = communityPollManifest({
    chainId: 31337,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    poll: addresses.targets.communityPoll,
    token: addresses.targets.demoToken,
  })
  // Gas caps with room for a user operation that deploys its account, which (d) sponsors.
  const manifest = {
    ...demo,
    intent: {
      ...demo.intent,
      gas: { maxGasLimit: '3000000', maxFeePerGasWei: '100000000000', maxCostWei: '100000000000000000' },
    },
  }
  const { record } = await gateway.services.registry.publish(signTemplate(manifest, [authority]), 'bench')
  const { token } = await gateway.services.instances.create(
    { templateDigest: record.digest, params: { dailyRequestCap: '1000000000' } },
    'bench',
  )
  const forwarderDomain = await gateway.services.pipeline.chains.get(31337)?.forwarderDomain()
  if (!forwarderDomain) throw new Error('the fixture chain is not served')
  return {
    gateway,
    redis,
    anvil,
    addresses,
    token,
    forwarderDomain,
    async stop() {
      await gateway.stop()
      await Promise.all([redis.stop(), anvil.stop()])
    },
  }
}

/** `count` votes, each from a fresh user (nonce 0), signed for the fixture forwarder: all allowed. */
export async function presignVotes(target: GatewayUnderTest, count: number): Promise<string[]> {
  const { addresses, forwarderDomain } = target
  const data = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })
  const deadline = Math.floor(Date.now() / 1000) + 3 * 3600
  const bodies: string[] = []
  for (let index = 0; index < count; index++) {
    const user = privateKeyToAccount(generatePrivateKey())
    const request = {
      from: user.address,
      to: addresses.targets.communityPoll,
      value: 0n,
      gas: 200_000n,
      deadline,
      data,
    }
    const typedData = forwardRequestTypedData({
      request,
      nonce: 0n,
      chainId: 31337,
      forwarder: addresses.forwarder,
      domainName: forwarderDomain.name,
      domainVersion: forwarderDomain.version,
    })
    const signature = await user.signTypedData(typedData)
    bodies.push(JSON.stringify({ ...request, value: '0', gas: '200000', signature, chainId: 31337 }))
  }
  return bodies
}

/**
 * The floor for (a) without the pipeline: a Hono route on @hono/node-server that reads and
 * validates the same body and recovers its signer, nothing else (no Redis, chain, policy or log).
 */
export async function startParseAndRecoverServer(target: GatewayUnderTest) {
  const { addresses, forwarderDomain } = target
  const app = new Hono<{ Variables: RequestContextVariables }>()
  app.onError(onError)
  app.post('/v1/meta-transactions', async (c) => {
    {
      const body = await readJson(c, forwardRequestBodySchema)
      const typedData = forwardRequestTypedData({
        request: body,
        nonce: 0n,
        chainId: body.chainId,
        forwarder: addresses.forwarder,
        domainName: forwarderDomain.name,
        domainVersion: forwarderDomain.version,
      })
      const signer = recoverSigner(hashForwardRequest(typedData), body.signature)
      return c.json({ signer }, signer?.toLowerCase() === body.from.toLowerCase() ? 202 : 422)
    }
  })
  return listenOn(app.fetch)
}

/** Serves `fetch` on 127.0.0.1 and resolves with its URL and a stop function. */
export function listenOn(fetch: (request: Request) => Response | Promise<Response>) {
  return new Promise<{ url: string; stop(): Promise<void> }>((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        stop: () => new Promise((done) => server.close(() => done())),
      }),
    )
  })
}
