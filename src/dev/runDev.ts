import { existsSync } from 'node:fs'
import { generateAdminKey } from '../auth/adminKeys.js'
import { ENTRY_POINT_V07, loadChainAddresses } from '../chain/addresses.js'
import { anvilDevAccounts, fixtureAccounts } from '../chain/anvilAccounts.js'
import { loadConfig } from '../config/loadConfig.js'
import { exportSigningKey, formatPublicKey, generateSigningKey } from '../crypto/ed25519.js'
import { type AltoInstance, altoDevKeys, startAlto } from '../devtools/alto.js'
import { type AnvilInstance, startAnvil, steadyMiningArgs } from '../devtools/anvil.js'
import type { ManagedProcess } from '../devtools/childProcess.js'
import {
  findRedisServer,
  isPortFree,
  type RedisServerInstance,
  redisAnswers,
  startRedisServer,
} from '../devtools/redisServer.js'
import { type RunningGateway, startGateway } from '../main.js'
import { writeDevSession } from './demoMetaTx.js'
import { type DemoSeed, seedDemo } from './seedDemo.js'

const fixtureState = 'anvil-fixtures/state.json'
const fixtureChainId = 31337

/**
 * `npm run dev`: Anvil from the fixture, Redis (REDIS_URL, or a throwaway redis-server), the Alto
 * bundler, and the gateway in this process. With `selfBundling` Alto is not started and the
 * gateway gets no BUNDLER_URL: it bundles user operations itself with the dev relayer keys.
 * Ctrl-C stops everything; children are also killed if this process dies.
 */
export async function runDev(
  env: NodeJS.ProcessEnv,
  options: { selfBundling?: boolean } = {},
): Promise<void> {
  const children: ManagedProcess[] = []
  // Last line of defence against orphans: synchronous SIGKILL on any exit path.
  process.on('exit', () => {
    for (const child of children) child.child.kill('SIGKILL')
  })
  let gateway: RunningGateway | undefined
  let anvil: AnvilInstance | undefined
  let alto: AltoInstance | undefined
  let redisServer: RedisServerInstance | undefined

  const shutdown = async (code: number) => {
    await gateway?.stop()
    await Promise.all([alto?.stop(), anvil?.stop(), redisServer?.stop()])
    process.exit(code)
  }
  process.once('SIGINT', () => void shutdown(0))
  process.once('SIGTERM', () => void shutdown(0))

  try {
    if (!existsSync(fixtureState)) fail(`${fixtureState} is missing: run \`npm run fixtures:build\``)
    anvil = await startAnvil({
      stateFile: fixtureState,
      chainId: fixtureChainId,
      port: (await isPortFree(8545)) ? 8545 : 0,
      extraArgs: [...steadyMiningArgs],
    })
    children.push(anvil.process)

    let redisUrl = env.REDIS_URL
    if (redisUrl) {
      if (!(await redisAnswers(redisUrl, 1_500)))
        fail(`REDIS_URL=${redisUrl} does not answer PING; start Redis or unset REDIS_URL`)
    } else {
      if (!findRedisServer())
        fail('no Redis: set REDIS_URL, or install redis-server (apt-get install redis-server)')
      redisServer = await startRedisServer()
      children.push(redisServer.process)
      redisUrl = redisServer.url
    }

    // The real Alto bundler behind /rpc, so user operations work end to end in dev; or none.
    if (!options.selfBundling) {
      alto = await startAlto({ rpcUrl: anvil.url, entryPoint: ENTRY_POINT_V07, ...altoDevKeys() })
      children.push(alto.process)
    }

    // Dev keys are made fresh for every session and never written to disk.
    const authority = generateSigningKey()
    const operator = generateAdminKey()
    const auditor = generateAdminKey()
    const config = loadConfig({
      ...env,
      REDIS_URL: redisUrl,
      // A fresh prefix per session: a shared REDIS_URL keeps no stale dev state between runs.
      REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX ?? `igdev:${Date.now().toString(36)}:`,
      CHAIN_RPC_URLS: `${fixtureChainId}=${anvil.url}`,
      TEMPLATE_AUTHORITY_KEYS: formatPublicKey(authority),
      TOKEN_SIGNING_KEY: exportSigningKey(generateSigningKey()),
      ATTESTATION_SIGNING_KEY: exportSigningKey(generateSigningKey()),
      LOG_SIGNING_KEY: exportSigningKey(generateSigningKey()),
      // Keys are new each session, so each session keeps its own log, verifiable with its keys.
      DATA_DIR: env.DATA_DIR ?? `.data/dev-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      ADMIN_KEYS: `dev-operator:operator:${operator.hash},dev-auditor:auditor:${auditor.hash}`,
      LOG_LEVEL: env.LOG_LEVEL ?? 'info',
      // Anvil's public dev accounts 2 and 3 relay in dev (0 deploys, 1 signs for the paymaster,
      // 7 and 8 are Alto's, 9 mints demo tokens).
      RELAYER_KEYS: env.RELAYER_KEYS ?? devRelayerKeys(fixtureChainId),
      // The fixture's paymaster trusts this well-known dev key; never use it on a real chain.
      PAYMASTER_SIGNER_KEY: env.PAYMASTER_SIGNER_KEY ?? fixtureAccounts.paymasterSigner.privateKey,
      BUNDLER_URL: alto ? (env.BUNDLER_URL ?? alto.url) : undefined,
    })
    gateway = await startGateway(config)
    const seed = await seedDemo(gateway, { authority, addressesFile: config.chainAddressesFile })
    const addresses = await loadChainAddresses(config.chainAddressesFile)
    await writeDevSession({
      gatewayUrl: gateway.url,
      token: seed.token,
      rpcUrl: anvil.url,
      forwarder: addresses.forwarder,
      poll: addresses.targets.communityPoll,
    })
    printBanner(
      {
        gateway: gateway.url,
        anvil: anvil.url,
        bundler: alto
          ? `${alto.url}  (Alto, the ERC-4337 bundler behind ${gateway.url}/rpc)`
          : 'none: the gateway bundles user operations itself (handleOps by the relayer keys)',
        redis: redisUrl,
        ownRedis: redisServer !== undefined,
      },
      { seed, operatorKey: operator.key, auditorKey: auditor.key },
    )
  } catch (error) {
    console.error(`intentgate dev: ${(error as Error).message}`)
    await shutdown(1)
  }
}

function devRelayerKeys(chainId: number): string {
  return [anvilDevAccounts[2], anvilDevAccounts[3]]
    .map((account) => `${chainId}=${account.privateKey}`)
    .join(',')
}

function fail(message: string): never {
  throw new Error(message)
}

function printBanner(
  urls: { gateway: string; anvil: string; bundler: string; redis: string; ownRedis: boolean },
  demo: { seed: DemoSeed; operatorKey: string; auditorKey: string },
): void {
  const lines = [
    '',
    `  intentgate dev is up`,
    `    gateway  ${urls.gateway}`,
    `    console  ${urls.gateway}/console  (log in with the operator or auditor key below)`,
    `    anvil    ${urls.anvil}  (chain ${fixtureChainId}, state from ${fixtureState})`,
    `    bundler  ${urls.bundler}`,
    `    redis    ${urls.redis}${urls.ownRedis ? '  (throwaway redis-server started for this session)' : ''}`,
    '',
    '  dev credentials (fresh each session):',
    `    operator key   ${demo.operatorKey}`,
    `    auditor key    ${demo.auditorKey}`,
    `    demo template  community-poll ${demo.seed.templateDigest}`,
    `    demo instance  ${demo.seed.instanceId}`,
    `    app token      ${demo.seed.token}`,
    '',
    '  try:',
    `    curl -s ${urls.gateway}/readyz`,
    `    curl -s ${urls.gateway}/v1/session -H 'Authorization: Bearer ${demo.seed.token}'`,
    '',
    '  a meta-transaction the demo template allows (202, queued, with its attestation):',
    `    curl -s ${urls.gateway}/v1/meta-transactions -H 'Authorization: Bearer ${demo.seed.token}' \\`,
    `      -H 'Content-Type: application/json' -d '${JSON.stringify(demo.seed.requests.approved)}'`,
    '',
    '  in another terminal, `npm run demo` votes through intentgate/client and follows the request to confirmed.',
    '',
    '  one it denies (403 POLICY_DENIED, reason SELECTOR_NOT_ALLOWED, with its attestation):',
    `    curl -s ${urls.gateway}/v1/meta-transactions -H 'Authorization: Bearer ${demo.seed.token}' \\`,
    `      -H 'Content-Type: application/json' -d '${JSON.stringify(demo.seed.requests.denied)}'`,
    '',
    '  user operations: POST /rpc is a bundler and ERC-7677 paymaster; see "Using it from permissionless/viem"',
    `    curl -s ${urls.gateway}/rpc -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"eth_supportedEntryPoints","params":[]}'`,
    '',
    '  admin:',
    `    curl -s ${urls.gateway}/v1/admin/templates -H 'Authorization: Bearer ${demo.auditorKey}'`,
    `    curl -s -X POST ${urls.gateway}/v1/admin/kill-switch -H 'Authorization: Bearer ${demo.operatorKey}' \\`,
    `      -H 'Content-Type: application/json' -d '{"scope":"instance","target":"${demo.seed.instanceId}","reason":"drill"}'`,
    '',
    '  Ctrl-C stops everything.',
    '',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}
