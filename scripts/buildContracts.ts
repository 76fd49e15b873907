/**
 * Compiles contracts/ with the pinned solcjs and writes typed viem artifacts to src/chain/artifacts/.
 * The ERC-4337 EntryPoint and SimpleAccount(Factory) are copied from the npm package's artifacts instead of
 * being recompiled, because their canonical CREATE2 addresses depend on that exact bytecode.
 *
 * Usage: npm run contracts:build
 */
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** Pinned so the bytecode, and so the fixture state, only changes when someone changes it on purpose. */
export const SOLC_VERSION = '0.8.28'
export const COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
} as const

const repoRoot = fileURLToPath(new URL('../', import.meta.url))
const contractsDir = path.join(repoRoot, 'contracts')
const artifactsDir = path.join(repoRoot, 'src/chain/artifacts')
const nodeModulesDir = path.join(repoRoot, 'node_modules')
const importablePackages = ['@openzeppelin/contracts/', '@account-abstraction/contracts/']
const accountAbstractionArtifacts = ['EntryPoint', 'SimpleAccountFactory', 'SimpleAccount']
/**
 * Never deployed: its runtime code stands in for the EntryPoint's in an eth_call state override,
 * so self-bundling can run the v0.7 simulation methods (simulateValidation) against the real one.
 */
const simulationArtifacts = ['EntryPointSimulations']

type SolcError = { severity: 'error' | 'warning' | 'info'; formattedMessage: string }
type SolcContractOutput = { abi: unknown[]; evm: { bytecode: { object: string } } }
type SolcOutput = {
  errors?: SolcError[]
  contracts?: Record<string, Record<string, SolcContractOutput>>
}
type Solc = {
  version(): string
  compile(
    input: string,
    callbacks: { import: (importPath: string) => { contents: string } | { error: string } },
  ): string
}
type HardhatArtifact = { contractName: string; abi: unknown[]; bytecode: string; deployedBytecode: string }

export type ContractArtifact = {
  name: string
  /** Where the ABI and bytecode came from, recorded in the generated file's header. */
  origin: string
  abi: unknown[]
  /** Creation code, for contracts that are deployed. */
  bytecode?: `0x${string}`
  /** Runtime code, for contracts that only ever run as a state override. */
  deployedBytecode?: `0x${string}`
}

/**
 * Compiles every .sol file under contracts/ and returns one artifact per deployable contract.
 * Throws with the compiler's formatted messages when there is any compile error.
 */
export function compileContracts(): ContractArtifact[] {
  const solc = loadSolc()
  const sourceNames = listSolidityFiles(contractsDir).map((file) =>
    path.relative(repoRoot, file).split(path.sep).join('/'),
  )
  if (sourceNames.length === 0) throw new Error(`no Solidity sources in ${contractsDir}`)

  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(
      sourceNames.map((name) => [name, { content: readFileSync(path.join(repoRoot, name), 'utf8') }]),
    ),
    settings: {
      ...COMPILER_SETTINGS,
      outputSelection: Object.fromEntries(
        sourceNames.map((name) => [name, { '*': ['abi', 'evm.bytecode.object'] }]),
      ),
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport })) as SolcOutput

  const errors = (output.errors ?? []).filter((error) => error.severity === 'error')
  if (errors.length > 0) {
    throw new Error(
      `solc ${SOLC_VERSION} failed:\n${errors.map((error) => error.formattedMessage).join('\n')}`,
    )
  }
  for (const warning of output.errors ?? []) {
    if (warning.severity === 'warning') process.stderr.write(`${warning.formattedMessage}\n`)
  }

  const artifacts: ContractArtifact[] = []
  for (const sourceName of sourceNames) {
    for (const [name, contract] of Object.entries(output.contracts?.[sourceName] ?? {})) {
      // Interfaces and abstract contracts have no creation code and nothing to deploy.
      if (contract.evm.bytecode.object === '') continue
      if (artifacts.some((artifact) => artifact.name === name)) {
        throw new Error(`two contracts named ${name}: artifact files are keyed by contract name`)
      }
      artifacts.push({
        name,
        origin: `${sourceName} (solc ${SOLC_VERSION}, optimizer runs ${COMPILER_SETTINGS.optimizer.runs}, ${COMPILER_SETTINGS.evmVersion})`,
        abi: contract.abi,
        bytecode: `0x${contract.evm.bytecode.object}`,
      })
    }
  }
  return artifacts
}

/**
 * Reads the EntryPoint v0.7 and SimpleAccount(Factory) artifacts shipped in @account-abstraction/contracts,
 * and the runtime code of its EntryPointSimulations.
 */
export function readAccountAbstractionArtifacts(): ContractArtifact[] {
  const packageDir = path.join(nodeModulesDir, '@account-abstraction/contracts')
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as {
    version: string
  }
  const read = (name: string) => {
    const file = path.join(packageDir, 'artifacts', `${name}.json`)
    const artifact = JSON.parse(readFileSync(file, 'utf8')) as HardhatArtifact
    if (
      artifact.contractName !== name ||
      !/^0x[0-9a-f]+$/i.test(artifact.bytecode) ||
      !/^0x[0-9a-f]+$/i.test(artifact.deployedBytecode)
    ) {
      throw new Error(`unexpected artifact in ${file}`)
    }
    return { artifact, origin: `@account-abstraction/contracts@${version} artifacts/${name}.json` }
  }
  return [
    ...accountAbstractionArtifacts.map((name) => {
      const { artifact, origin } = read(name)
      return {
        name,
        origin: `${origin} (npm bytecode, not recompiled)`,
        abi: artifact.abi,
        bytecode: artifact.bytecode as `0x${string}`,
      }
    }),
    ...simulationArtifacts.map((name) => {
      const { artifact, origin } = read(name)
      return {
        name,
        origin: `${origin} (npm runtime code, only for eth_call state overrides)`,
        abi: artifact.abi,
        deployedBytecode: artifact.deployedBytecode as `0x${string}`,
      }
    }),
  ]
}

/**
 * Compiles the contracts and rewrites src/chain/artifacts/ so it holds exactly one file per artifact.
 * Returns the contract names written.
 */
export async function buildContracts(): Promise<string[]> {
  const artifacts = [...compileContracts(), ...readAccountAbstractionArtifacts()]
  await mkdir(artifactsDir, { recursive: true })
  const expectedFiles = new Set(artifacts.map((artifact) => `${artifact.name}.ts`))
  for (const file of await readdir(artifactsDir)) {
    if (!expectedFiles.has(file)) await rm(path.join(artifactsDir, file))
  }
  for (const artifact of artifacts) {
    await writeFile(path.join(artifactsDir, `${artifact.name}.ts`), renderArtifactModule(artifact))
  }
  return artifacts.map((artifact) => artifact.name)
}

function renderArtifactModule(artifact: ContractArtifact): string {
  const exportName = artifact.name.charAt(0).toLowerCase() + artifact.name.slice(1)
  return [
    `// Generated by scripts/buildContracts.ts from ${artifact.origin}. Do not edit.`,
    '',
    `export const ${exportName}Abi = ${JSON.stringify(artifact.abi, null, 2)} as const`,
    '',
    ...(artifact.bytecode
      ? [`export const ${exportName}Bytecode = '${artifact.bytecode}' as const`, '']
      : []),
    ...(artifact.deployedBytecode
      ? [`export const ${exportName}DeployedBytecode = '${artifact.deployedBytecode}' as const`, '']
      : []),
  ].join('\n')
}

function loadSolc(): Solc {
  const require = createRequire(import.meta.url)
  const solc = require('solc') as Solc
  const version = solc.version()
  if (!version.startsWith(`${SOLC_VERSION}+`)) {
    throw new Error(`expected solc ${SOLC_VERSION}, found ${version}: reinstall dependencies with npm ci`)
  }
  return solc
}

function resolveImport(importPath: string): { contents: string } | { error: string } {
  const root = importablePackages.some((prefix) => importPath.startsWith(prefix)) ? nodeModulesDir : repoRoot
  const file = path.resolve(root, importPath)
  // solc normalizes relative imports to source unit names, so anything escaping its root is a mistake.
  if (!file.startsWith(root)) return { error: `import outside ${root}: ${importPath}` }
  try {
    return { contents: readFileSync(file, 'utf8') }
  } catch {
    return { error: `not found: ${importPath} (looked in ${file})` }
  }
}

function listSolidityFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) return listSolidityFiles(full)
      return entry.isFile() && entry.name.endsWith('.sol') ? [full] : []
    })
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now()
  buildContracts().then(
    (names) => {
      console.log(
        `wrote ${names.length} artifacts to src/chain/artifacts in ${Date.now() - started} ms: ${names.join(', ')}`,
      )
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error)
      process.exitCode = 1
    },
  )
}
