import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadChainAddresses } from '../chain/addresses.js'
import { anvilDevAccounts, fixtureAccounts } from '../chain/anvilAccounts.js'
import { loadConfig } from '../config/loadConfig.js'
import { exportSigningKey, formatPublicKey, generateSigningKey } from '../crypto/ed25519.js'
import { type AltoInstance, altoDevKeys, startAlto } from '../devtools/alto.js'
import { type AnvilInstance, startAnvil } from '../devtools/anvil.js'
import { type RedisServerInstance, redisAnswers, startRedisServer } from '../devtools/redisServer.js'
import { type RunningGateway, startGateway } from '../main.js'
import { seedDemo } from './seedDemo.js'
import { sendSponsoredVote } from './sponsoredVote.js'

const fixtureState = 'anvil-fixtures/state.json'
const addressesFile = 'anvil-fixtures/addresses.json'

/**
 * `npm run demo:userop`: Anvil from the fixture, Redis (REDIS_URL or a throwaway redis-server),
 * the real Alto bundler, and a gateway that signs for the fixture's IntentPaymaster; then the
 * README's permissionless example sends a sponsored vote from a new SimpleAccount, and the demo
 * prints what landed and what the gateway attested. With `selfBundling` there is no Alto: the
 * gateway has no BUNDLER_URL and bundles the op itself, with a dev relayer key. Everything it
 * started is stopped at the end.
 */
export async function runUserOpDemo(
  env: NodeJS.ProcessEnv,
  options: { selfBundling?: boolean } = {},
): Promise<void> {
  let anvil: AnvilInstance | undefined
  let redisServer: RedisServerInstance | undefined
  let alto: AltoInstance | undefined
  let gateway: RunningGateway | undefined
  const say = (line: string) => process.stdout.write(`${line}\n`)
  try {
    anvil = await startAnvil({ stateFile: fixtureState })
    let redisUrl = env.REDIS_URL
    if (!redisUrl || !(await redisAnswers(redisUrl, 1_500))) {
      redisServer = await startRedisServer()
      redisUrl = redisServer.url
    }
    const addresses = await loadChainAddresses(addressesFile)
    alto = options.selfBundling
      ? undefined
      : await startAlto({ rpcUrl: anvil.url, entryPoint: addresses.entryPoint, ...altoDevKeys() })
    const authority = generateSigningKey()
    gateway = await startGateway(
      loadConfig({
        PORT: '0',
        LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: `igdemo:${Date.now().toString(36)}:`,
        CHAIN_RPC_URLS: `${addresses.chainId}=${anvil.url}`,
        CHAIN_ADDRESSES_FILE: addressesFile,
        TEMPLATE_AUTHORITY_KEYS: formatPublicKey(authority),
        TOKEN_SIGNING_KEY: exportSigningKey(generateSigningKey()),
        ATTESTATION_SIGNING_KEY: exportSigningKey(generateSigningKey()),
        LOG_SIGNING_KEY: exportSigningKey(generateSigningKey()),
        DATA_DIR: mkdtempSync(join(tmpdir(), 'intentgate-demo-')),
        // The fixture's paymaster trusts this well-known dev key; never use it on a real chain.
        PAYMASTER_SIGNER_KEY: fixtureAccounts.paymasterSigner.privateKey,
        ...(alto
          ? { BUNDLER_URL: alto.url }
          : // Anvil's public dev account 2 bundles (0 deployed the fixture, 1 signs for the paymaster).
            {
              RELAYER_KEYS: `${addresses.chainId}=${anvilDevAccounts[2].privateKey}`,
              RELAY_POLL_INTERVAL_MS: '250',
            }),
        USER_OP_SWEEP_INTERVAL_MS: '250',
      }),
    )
    const seed = await seedDemo(gateway, { authority, addressesFile })
    const bundler = alto ? `Alto ${alto.url}` : `self-bundling by ${anvilDevAccounts[2].address}`
    say(`gateway ${gateway.url}, ${bundler}, Anvil ${anvil.url}`)
    say(`instance ${seed.instanceId} of community-poll; sending a sponsored vote from a new SimpleAccount...`)
    const result = await sendSponsoredVote({
      gatewayUrl: gateway.url,
      token: seed.token,
      rpcUrl: anvil.url,
      poll: addresses.targets.communityPoll,
      option: 1n,
    })
    say(`  account         ${result.account} (deployed by this first op)`)
    say(`  userOpHash      ${result.userOpHash}`)
    say(`  transaction     ${result.txHash} (${result.success ? 'succeeded' : 'reverted'})`)
    say(`  gateway status  ${result.status}`)
    say(`  decision digest ${result.decisionDigest} (emitted on chain by UserOperationSponsored)`)
    if (!result.success || result.status !== 'confirmed') process.exitCode = 1
  } catch (error) {
    process.stderr.write(`demo:userop: ${(error as Error).message}\n`)
    process.exitCode = 1
  } finally {
    await gateway?.stop()
    await Promise.all([alto?.stop(), anvil?.stop(), redisServer?.stop()])
  }
}
