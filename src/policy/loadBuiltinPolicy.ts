import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { LoadedPolicy } from './policyStore.js'
import { loadWasmPolicy, PolicyLoadError, wasmDigest } from './wasmPolicy.js'

export type LoadBuiltinPolicyParameters = {
  /** The committed policies/build/policy.wasm, or another unsigned build. */
  wasmFile: string
  /** Its data document, policies/build/data.json. */
  dataFile: string
}

/** The revision every attestation names the built-in policy by. */
export const builtinPolicyRevision = 'builtin'

/**
 * Loads the policy shipped with the code, which serves until an operator uploads a signed
 * bundle. It is trusted because it is part of the release, not because of a signature.
 *
 * Its digest covers both files, since the data (level gates, deny-list) decides as much as the
 * Wasm: `sha256:` and the hex SHA-256 of the two files' raw SHA-256 digests, Wasm then data.
 */
export async function loadBuiltinPolicy(parameters: LoadBuiltinPolicyParameters): Promise<LoadedPolicy> {
  const [wasm, dataBytes] = await Promise.all([readFile(parameters.wasmFile), readFile(parameters.dataFile)])
  const parsed: unknown = JSON.parse(dataBytes.toString('utf8'))
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new PolicyLoadError(`policy data ${parameters.dataFile} must hold a JSON object`)
  const wasmBytes = new Uint8Array(wasm)
  const policy = await loadWasmPolicy({
    wasm: wasmBytes,
    data: { ...parsed },
    revision: builtinPolicyRevision,
    digest: wasmDigest(wasmBytes),
  })
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest()
  const digest = createHash('sha256').update(sha256(wasmBytes)).update(sha256(dataBytes)).digest('hex')
  return { policy, revision: builtinPolicyRevision, digest: `sha256:${digest}` }
}
