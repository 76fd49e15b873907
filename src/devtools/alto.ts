import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Address, Hex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { ANVIL_DEV_MNEMONIC } from '../chain/anvilAccounts.js'
import { type ManagedProcess, spawnUntilReady } from './childProcess.js'
import { freePort } from './redisServer.js'

export type StartAltoParameters = {
  rpcUrl: string
  entryPoint: Address
  /** Keys of the accounts that send handleOps; each needs ETH on the chain. */
  executorPrivateKeys: readonly Hex[]
  /** Key of the account that deploys Alto's simulation contract and refills executors. */
  utilityPrivateKey: Hex
  /** Defaults to a free port. Alto listens on every interface; nothing here exposes it further. */
  port?: number
}

export type AltoInstance = {
  readonly url: string
  readonly process: ManagedProcess
  stop(): Promise<void>
}

/**
 * Alto's keys on a local chain: Anvil dev accounts #8 (executor) and #7 (utility), which the
 * fixture and the other tests leave alone, so Alto's nonces never collide with anyone's.
 */
export function altoDevKeys(): { executorPrivateKeys: Hex[]; utilityPrivateKey: Hex } {
  const keyOf = (addressIndex: number): Hex => {
    const key = mnemonicToAccount(ANVIL_DEV_MNEMONIC, { addressIndex }).getHdKey().privateKey
    if (!key) throw new Error('the dev mnemonic derives private keys')
    return `0x${Buffer.from(key).toString('hex')}`
  }
  return { executorPrivateKeys: [keyOf(8)], utilityPrivateKey: keyOf(7) }
}

/** Path of the `alto` entry point of the pinned `@pimlico/alto` dev dependency. */
export function altoEntryPath(): string {
  const require = createRequire(import.meta.url)
  try {
    return join(dirname(require.resolve('@pimlico/alto')), 'cli/alto.js')
  } catch {
    throw new Error('Alto not found: install dev dependencies (npm ci) for @pimlico/alto')
  }
}

/**
 * Starts the Alto bundler against a local chain (Anvil) and resolves once it listens. Safe mode
 * is off because Anvil has no debug_traceCall tracer for the ERC-7562 rules; bundles are sent
 * at once so tests do not wait for a bundling interval.
 */
export async function startAlto(parameters: StartAltoParameters): Promise<AltoInstance> {
  const port = parameters.port ?? (await freePort())
  const args = [
    altoEntryPath(),
    '--entrypoints',
    parameters.entryPoint,
    '--executor-private-keys',
    parameters.executorPrivateKeys.join(','),
    '--utility-private-key',
    parameters.utilityPrivateKey,
    '--rpc-url',
    parameters.rpcUrl,
    '--port',
    String(port),
    '--safe-mode',
    'false',
    '--min-bundle-interval',
    '50',
    '--max-bundle-interval',
    '200',
    '--block-time',
    '250',
    '--log-level',
    'info',
    '--public-client-log-level',
    'error',
    '--wallet-client-log-level',
    'error',
    // The "Server listening" line that says Alto is ready comes from its rpc logger.
    '--rpc-log-level',
    'info',
    '--mempool-log-level',
    'error',
    '--executor-log-level',
    'error',
    '--reputation-manager-log-level',
    'error',
    '--nonce-queuer-log-level',
    'error',
  ]
  const { process: managed } = await spawnUntilReady({
    name: 'alto',
    command: process.execPath,
    args,
    timeoutMs: 60_000,
    readyWhen: (line) => (/Server listening at/.test(line) ? 'ready' : undefined),
  })
  return { url: `http://127.0.0.1:${port}`, process: managed, stop: () => managed.stop() }
}
