import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { anvilBinaryPath } from '../src/devtools/anvil.js'
import { findRedisServer } from '../src/devtools/redisServer.js'

const repoFile = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url))

/**
 * What the bench needs before it starts anything, each missing one named with how to get it, so a
 * fresh clone fails in one clear message instead of halfway through a run: redis-server (the bench
 * starts its own), the Anvil of `npm ci`, the pinned OPA (`scripts/ensure-opa` builds it with Go
 * when it is missing), and the committed policy build and chain fixtures.
 */
export function missingDependencies(): string[] {
  const missing: string[] = []
  if (!findRedisServer()) missing.push('redis-server on PATH (apt-get install redis-server)')
  try {
    if (!existsSync(anvilBinaryPath())) missing.push('the Anvil binary of @foundry-rs/anvil (npm ci)')
  } catch (error) {
    missing.push((error as Error).message)
  }
  for (const path of [
    'policies/build/policy.wasm',
    'anvil-fixtures/state.json',
    'anvil-fixtures/addresses.json',
  ])
    if (!existsSync(repoFile(path))) missing.push(`${path} (committed in git: is this a full checkout?)`)
  try {
    // Prints its own progress and errors on stderr; installs OPA with Go on a fresh machine.
    execFileSync('bash', [repoFile('scripts/ensure-opa')], { stdio: ['ignore', 'ignore', 'inherit'] })
  } catch {
    missing.push('OPA 1.22.2 (scripts/ensure-opa failed, see above)')
  }
  return missing
}
