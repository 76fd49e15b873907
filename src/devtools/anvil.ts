import { createRequire } from 'node:module'
import { type ManagedProcess, spawnUntilReady } from './childProcess.js'

export type StartAnvilParameters = {
  /** A state file written by `anvil --dump-state`, such as anvil-fixtures/state.json. */
  stateFile?: string
  chainId?: number
  /** Defaults to 0: the OS picks a free port, which Anvil reports on startup. */
  port?: number
  /** Seconds between blocks; without it Anvil mines one block per transaction. */
  blockTime?: number
  extraArgs?: string[]
}

export type AnvilInstance = {
  readonly url: string
  readonly port: number
  readonly process: ManagedProcess
  stop(): Promise<void>
}

/**
 * Mines on every transaction and also once a second. With automine alone, Anvil sometimes leaves a
 * sender's transactions unmined when they arrive out of nonce order (foundry-rs/foundry#10122), and
 * the relay waits out its stuck timeout before it rebroadcasts. The bench and `npm run dev` use
 * this; tests keep plain automine, whose block numbers they can predict.
 */
export const steadyMiningArgs: readonly string[] = ['--mixed-mining', '--block-time', '1']

/** Path of the Anvil binary shipped by the pinned `@foundry-rs/anvil` platform package. */
export function anvilBinaryPath(): string {
  const require = createRequire(import.meta.url)
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`
  try {
    return require.resolve(`${platformPackage}/bin/anvil`)
  } catch {
    throw new Error(`Anvil binary not found: install dev dependencies (npm ci) for ${platformPackage}`)
  }
}

/** Starts Anvil on 127.0.0.1 and resolves once its JSON-RPC endpoint is listening. */
export async function startAnvil(parameters: StartAnvilParameters = {}): Promise<AnvilInstance> {
  const { stateFile, chainId, port = 0, blockTime, extraArgs = [] } = parameters
  const args = ['--host', '127.0.0.1', '--port', String(port)]
  if (stateFile) args.push('--load-state', stateFile)
  if (chainId !== undefined) args.push('--chain-id', String(chainId))
  if (blockTime !== undefined) args.push('--block-time', String(blockTime))
  args.push(...extraArgs)

  const { process: managed, ready } = await spawnUntilReady({
    name: 'anvil',
    command: anvilBinaryPath(),
    args,
    readyWhen: (line) => /Listening on [\d.]+:(\d+)/.exec(line)?.[1],
  })
  const boundPort = Number(ready)
  const url = `http://127.0.0.1:${boundPort}`
  // A loaded state keeps its last block's timestamp as `latest` until a block is mined; one new
  // block moves chain time to the wall clock, which validity windows and deadlines depend on.
  if (stateFile) await mineOneBlock(url)
  return {
    url,
    port: boundPort,
    process: managed,
    stop: () => managed.stop(),
  }
}

async function mineOneBlock(url: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'evm_mine', params: [] }),
  })
  const body = (await response.json()) as { error?: { message: string } }
  if (body.error) throw new Error(`anvil: evm_mine failed: ${body.error.message}`)
}
