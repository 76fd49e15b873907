import { fileURLToPath } from 'node:url'

/** Repository root, resolved from this file so tests run the same from any working directory. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const fixtureStatePath = fileURLToPath(new URL('../../anvil-fixtures/state.json', import.meta.url))
export const fixtureAddressesPath = fileURLToPath(
  new URL('../../anvil-fixtures/addresses.json', import.meta.url),
)
