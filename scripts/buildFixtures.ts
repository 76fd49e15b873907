/**
 * Regenerates anvil-fixtures/: an Anvil state with the canonical ERC-4337 v0.7 contracts at their mainnet
 * addresses, plus the gateway's forwarder, paymaster and demo targets, and the addresses.json describing it.
 * The output is byte-identical from run to run: fixed genesis time, fixed block interval, fixed deployer
 * nonces, and a state dump whose unordered parts are sorted before writing.
 *
 * Usage: npm run fixtures:build
 */
import { writeFile } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gunzipSync } from 'node:zlib'
import {
  type Abi,
  type Address,
  concat,
  createPublicClient,
  createTestClient,
  createWalletClient,
  encodeAbiParameters,
  getAddress,
  getContractAddress,
  type Hash,
  type Hex,
  http,
  parseEther,
  publicActions,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import {
  type ChainAddresses,
  DETERMINISTIC_DEPLOYER,
  ENTRY_POINT_V07,
  ENTRY_POINT_V07_SALT,
  loadChainAddresses,
  SIMPLE_ACCOUNT_FACTORY_V07,
  SIMPLE_ACCOUNT_FACTORY_V07_SALT,
} from '../src/chain/addresses.js'
import { fixtureAccounts } from '../src/chain/anvilAccounts.js'
import { startAnvil } from '../src/devtools/anvil.js'
import { buildContracts } from './buildContracts.js'

const FIXTURE_VERSION = 1
const CHAIN_ID = foundry.id
/** 2025-01-01T00:00:00Z. Any fixed past time works; Anvil mines at wall-clock time after loading the state. */
const GENESIS_TIMESTAMP = 1_735_689_600
const BLOCK_INTERVAL_SECONDS = 12
const POLL_OPTIONS = 4n
const PAYMASTER_DEPOSIT = parseEther('100')
/** Alto, like other bundlers, rejects paymasters staked below 1 ETH or with an unstake delay under a day. */
const PAYMASTER_STAKE = parseEther('1')
const PAYMASTER_UNSTAKE_DELAY_SECONDS = 86_400

const statePath = fileURLToPath(new URL('../anvil-fixtures/state.json', import.meta.url))
const addressesPath = fileURLToPath(new URL('../anvil-fixtures/addresses.json', import.meta.url))

/** Builds the contracts, deploys the fixture on a fresh Anvil, writes state.json and addresses.json, checks them. */
export async function buildFixtures(): Promise<ChainAddresses> {
  await buildContracts()
  const anvil = await startAnvil({ chainId: CHAIN_ID, extraArgs: ['--timestamp', String(GENESIS_TIMESTAMP)] })
  let addresses: ChainAddresses
  try {
    const testClient = createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvil.url) })
    await testClient.setBlockTimestampInterval({ interval: BLOCK_INTERVAL_SECONDS })
    addresses = await deployFixture(anvil.url)
    const dump = await testClient.dumpState()
    await writeFile(statePath, normalizeAnvilState(dump))
  } finally {
    await anvil.stop()
  }
  await writeFile(addressesPath, `${JSON.stringify(addresses, null, 2)}\n`)
  await verifyFixture()
  return addresses
}

async function deployFixture(rpcUrl: string): Promise<ChainAddresses> {
  // Imported after buildContracts() so the deployed bytecode is what contracts/ holds now.
  const [
    { entryPointBytecode },
    { simpleAccountFactoryBytecode },
    { intentForwarderAbi, intentForwarderBytecode },
    { intentPaymasterAbi, intentPaymasterBytecode },
    { communityPollAbi, communityPollBytecode },
    { demoTokenAbi, demoTokenBytecode },
    { demoBadgeAbi, demoBadgeBytecode },
  ] = await Promise.all([
    import('../src/chain/artifacts/EntryPoint.js'),
    import('../src/chain/artifacts/SimpleAccountFactory.js'),
    import('../src/chain/artifacts/IntentForwarder.js'),
    import('../src/chain/artifacts/IntentPaymaster.js'),
    import('../src/chain/artifacts/CommunityPoll.js'),
    import('../src/chain/artifacts/DemoToken.js'),
    import('../src/chain/artifacts/DemoBadge.js'),
  ])
  const owner = privateKeyToAccount(fixtureAccounts.deployer.privateKey)
  const client = createWalletClient({ account: owner, chain: foundry, transport: http(rpcUrl) }).extend(
    publicActions,
  )

  const confirm = async (hash: Hash, what: string) => {
    const receipt = await client.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new Error(`${what} reverted in ${hash}`)
    return receipt
  }
  const deployThroughDeterministicDeployer = async (
    name: string,
    initCode: Hex,
    salt: Hex,
    expected: Address,
  ) => {
    const predicted = getContractAddress({
      opcode: 'CREATE2',
      from: DETERMINISTIC_DEPLOYER,
      salt,
      bytecode: initCode,
    })
    if (predicted !== expected) throw new Error(`${name} would land at ${predicted}, not ${expected}`)
    await confirm(
      await client.sendTransaction({ to: DETERMINISTIC_DEPLOYER, data: concat([salt, initCode]) }),
      name,
    )
    if (!(await client.getCode({ address: expected }))) throw new Error(`${name}: no code at ${expected}`)
    return expected
  }
  const deploy = async (name: string, parameters: { abi: Abi; bytecode: Hex; args?: readonly unknown[] }) => {
    const receipt = await confirm(await client.deployContract(parameters), name)
    if (!receipt.contractAddress) throw new Error(`${name}: no contract address in receipt`)
    return getAddress(receipt.contractAddress)
  }

  if (!(await client.getCode({ address: DETERMINISTIC_DEPLOYER }))) {
    throw new Error(`Anvil did not predeploy the deterministic deployer at ${DETERMINISTIC_DEPLOYER}`)
  }
  const entryPoint = await deployThroughDeterministicDeployer(
    'EntryPoint v0.7',
    entryPointBytecode,
    ENTRY_POINT_V07_SALT,
    ENTRY_POINT_V07,
  )
  const simpleAccountFactory = await deployThroughDeterministicDeployer(
    'SimpleAccountFactory v0.7',
    concat([simpleAccountFactoryBytecode, encodeAbiParameters([{ type: 'address' }], [entryPoint])]),
    SIMPLE_ACCOUNT_FACTORY_V07_SALT,
    SIMPLE_ACCOUNT_FACTORY_V07,
  )

  // Plain CREATE from one account at fixed nonces: the addresses survive any change to the contracts' code.
  const forwarder = await deploy('IntentForwarder', {
    abi: intentForwarderAbi,
    bytecode: intentForwarderBytecode,
  })
  const paymasterSigner = fixtureAccounts.paymasterSigner.address
  const paymaster = await deploy('IntentPaymaster', {
    abi: intentPaymasterAbi,
    bytecode: intentPaymasterBytecode,
    args: [entryPoint, owner.address, paymasterSigner],
  })
  const communityPoll = await deploy('CommunityPoll', {
    abi: communityPollAbi,
    bytecode: communityPollBytecode,
    args: [forwarder, POLL_OPTIONS],
  })
  const demoToken = await deploy('DemoToken', {
    abi: demoTokenAbi,
    bytecode: demoTokenBytecode,
    args: [forwarder],
  })
  const demoBadge = await deploy('DemoBadge', {
    abi: demoBadgeAbi,
    bytecode: demoBadgeBytecode,
    args: [forwarder],
  })

  await confirm(
    await client.writeContract({
      address: paymaster,
      abi: intentPaymasterAbi,
      functionName: 'deposit',
      value: PAYMASTER_DEPOSIT,
    }),
    'IntentPaymaster.deposit',
  )
  await confirm(
    await client.writeContract({
      address: paymaster,
      abi: intentPaymasterAbi,
      functionName: 'addStake',
      args: [PAYMASTER_UNSTAKE_DELAY_SECONDS],
      value: PAYMASTER_STAKE,
    }),
    'IntentPaymaster.addStake',
  )

  return {
    fixtureVersion: FIXTURE_VERSION,
    chainId: CHAIN_ID,
    entryPoint,
    simpleAccountFactory,
    forwarder,
    paymaster,
    paymasterSigner,
    paymasterOwner: owner.address,
    targets: { communityPoll, demoToken, demoBadge },
  }
}

/**
 * Turns `anvil_dumpState` output (gzipped JSON) into stable, readable JSON. Anvil serializes its blocks and
 * transactions from hash maps, so their order changes between runs; sorting them is the only fix needed.
 */
export function normalizeAnvilState(dump: Hex): string {
  const state = JSON.parse(gunzipSync(Buffer.from(dump.slice(2), 'hex')).toString('utf8')) as {
    blocks?: { header: { number: Hex } }[]
    transactions?: { block_number: number; info: { transaction_index: number } }[]
  }
  assertExactNumbers(state, 'state')
  state.blocks?.sort((a, b) => Number(BigInt(a.header.number) - BigInt(b.header.number)))
  state.transactions?.sort(
    (a, b) => a.block_number - b.block_number || a.info.transaction_index - b.info.transaction_index,
  )
  return `${JSON.stringify(state, null, 1)}\n`
}

/** JSON.parse rounds integers past 2^53, which would silently corrupt a re-serialized state. */
function assertExactNumbers(value: unknown, path: string): void {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new Error(`${path} = ${value} cannot be re-serialized exactly`)
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) assertExactNumbers(child, `${path}.${key}`)
  }
}

/** Loads the written files into a fresh Anvil, as the tests do, and checks the contracts and chain time. */
async function verifyFixture(): Promise<void> {
  const addresses = await loadChainAddresses(addressesPath)
  const anvil = await startAnvil({ stateFile: statePath })
  try {
    const client = createPublicClient({ chain: foundry, transport: http(anvil.url) })
    const contracts = [
      addresses.entryPoint,
      addresses.simpleAccountFactory,
      addresses.forwarder,
      addresses.paymaster,
      ...Object.values(addresses.targets),
    ]
    for (const address of contracts) {
      if (!(await client.getCode({ address }))) throw new Error(`state.json has no code at ${address}`)
    }
    const testClient = createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvil.url) })
    await testClient.mine({ blocks: 1 })
    const block = await client.getBlock()
    const drift = Math.abs(Number(block.timestamp) - Date.now() / 1000)
    if (drift > 60)
      throw new Error(`a block mined on the loaded state is ${drift} s away from wall-clock time`)
  } finally {
    await anvil.stop()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildFixtures().then(
    (addresses) =>
      console.log(
        `wrote anvil-fixtures/state.json and addresses.json:\n${JSON.stringify(addresses, null, 2)}`,
      ),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error)
      process.exitCode = 1
    },
  )
}
