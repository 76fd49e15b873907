import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { loadPolicy } from '@open-policy-agent/opa-wasm'
import { type Decision, denyDecision, parseDecision, policyFailureCodes } from './decision.js'

/** The rule `decision` in package `intentgate`, as `opa build -e` names it. */
export const defaultEntrypoint = 'intentgate/decision'

/**
 * The document a policy evaluates: `{intent, template, instance, now}`. Every value must
 * already be JSON (bigints as decimal strings); anything else fails closed as POLICY_ERROR.
 */
export type PolicyInput = { readonly [key: string]: unknown }

export type LoadWasmPolicyParameters = {
  /** The policy.wasm of an `opa build -t wasm` bundle. */
  wasm: Uint8Array
  /** The bundle's data document, given to the policy once at load. */
  data?: Record<string, unknown>
  /** The operator's name for this policy version, recorded with every decision. */
  revision: string
  /** `sha256:<hex>` of `wasm`, as declared by whoever shipped it; checked before loading. */
  digest: string
  entrypoint?: string
}

export type WasmPolicy = {
  readonly revision: string
  readonly digest: string
  readonly entrypoint: string
  /** Evaluates one input. Never throws: every failure is a deny that says why. */
  evaluate(input: PolicyInput): Decision
}

/** Raised when a policy cannot be loaded at all, so no request is ever evaluated by it. */
export class PolicyLoadError extends Error {
  override readonly name = 'PolicyLoadError'
  readonly code = 'POLICY_LOAD_FAILED'
}

/** `sha256:<hex>` of the Wasm bytes, the digest attestations record for a policy. */
export function wasmDigest(wasm: Uint8Array): string {
  return `sha256:${createHash('sha256').update(wasm).digest('hex')}`
}

/**
 * Compiles and instantiates a policy once and returns an evaluator that reuses that one
 * instance for every request.
 *
 * Loading fails, rather than each evaluation denying, when the bytes do not match the
 * declared digest, are not a policy, or lack the entrypoint: such a policy can never
 * decide anything, and refusing it keeps the one already serving in place.
 */
export async function loadWasmPolicy(parameters: LoadWasmPolicyParameters): Promise<WasmPolicy> {
  const { wasm, data, revision, digest, entrypoint = defaultEntrypoint } = parameters
  const actualDigest = wasmDigest(wasm)
  if (actualDigest !== digest) {
    throw new PolicyLoadError(`policy ${revision}: wasm digest is ${actualDigest}, expected ${digest}`)
  }

  let policy: Awaited<ReturnType<typeof loadPolicy>>
  try {
    policy = await loadPolicy(wasm)
  } catch (error) {
    throw new PolicyLoadError(
      `policy ${revision}: not a loadable OPA Wasm module: ${describeThrown(error)}`,
      {
        cause: error,
      },
    )
  }

  const entrypoints: Record<string, number> = policy.entrypoints
  if (!Object.hasOwn(entrypoints, entrypoint)) {
    const available = Object.keys(entrypoints).join(', ') || 'none'
    throw new PolicyLoadError(`policy ${revision}: no entrypoint ${entrypoint} (has: ${available})`)
  }

  if (data !== undefined) {
    try {
      policy.setData(data)
    } catch (error) {
      throw new PolicyLoadError(`policy ${revision}: data was rejected: ${describeThrown(error)}`, {
        cause: error,
      })
    }
  }

  return {
    revision,
    digest,
    entrypoint,
    evaluate(input) {
      let resultSet: unknown
      try {
        resultSet = policy.evaluate(input, entrypoint)
      } catch (error) {
        return decisionFromThrown(error)
      }
      return decisionFromResultSet(resultSet, entrypoint)
    },
  }
}

export type LoadWasmPolicyFromFileOptions = {
  revision: string
  /** A JSON file holding the data document, such as the data.json `policies build` writes. */
  dataPath?: string
  entrypoint?: string
}

/**
 * Loads a policy from a policy.wasm on disk, for example the committed
 * policies/build/policy.wasm. The digest is computed from the file, since nothing else
 * declares it.
 */
export async function loadWasmPolicyFromFile(
  wasmPath: string,
  options: LoadWasmPolicyFromFileOptions,
): Promise<WasmPolicy> {
  const wasm = new Uint8Array(await readFile(wasmPath))
  const data = options.dataPath === undefined ? undefined : await readDataDocument(options.dataPath)
  return loadWasmPolicy({
    wasm,
    data,
    revision: options.revision,
    digest: wasmDigest(wasm),
    entrypoint: options.entrypoint,
  })
}

async function readDataDocument(path: string): Promise<Record<string, unknown>> {
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'))
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PolicyLoadError(`policy data ${path} must hold a JSON object`)
  }
  return { ...parsed }
}

/**
 * Turns what opa-wasm's `evaluate` returned into a Decision. A compiled entrypoint yields
 * `[{result: value}]` when defined and `[]` when not; anything else means the module is
 * not behaving as an OPA policy, and is a deny.
 */
export function decisionFromResultSet(resultSet: unknown, entrypoint: string): Decision {
  if (!Array.isArray(resultSet)) {
    return denyDecision(policyFailureCodes.error, `policy ${entrypoint} returned no result set`)
  }
  if (resultSet.length === 0) {
    return denyDecision(policyFailureCodes.undefined, `policy ${entrypoint} is undefined for this input`)
  }
  const [first] = resultSet
  if (resultSet.length > 1 || typeof first !== 'object' || first === null || !('result' in first)) {
    return denyDecision(
      policyFailureCodes.resultInvalid,
      `policy ${entrypoint} returned ${resultSet.length} results instead of one`,
    )
  }
  return parseDecision(first.result)
}

/** opa-wasm reports a builtin it cannot call with this prefix (see its _builtinCall). */
const missingBuiltinPrefix = 'not implemented: built-in function'

/**
 * Classifies what evaluation threw. opa-wasm throws plain strings for aborts inside the
 * Wasm (conflicts, runtime errors), `{message}` objects for missing builtins, and Errors
 * for input it cannot serialize or a trapped Wasm instance.
 */
export function decisionFromThrown(thrown: unknown): Decision {
  const description = describeThrown(thrown)
  if (description.startsWith(missingBuiltinPrefix)) {
    return denyDecision(
      policyFailureCodes.builtinMissing,
      `policy needs a builtin this gateway lacks: ${description}`,
    )
  }
  return denyDecision(policyFailureCodes.error, `policy evaluation failed: ${description}`)
}

/** Bounds a reason recorded in every attestation, whatever size the thrown value was. */
const maxDescriptionLength = 300

function describeThrown(thrown: unknown): string {
  let text: string
  if (thrown instanceof Error) text = `${thrown.name}: ${thrown.message}`
  else if (typeof thrown === 'string') text = thrown
  else if (
    typeof thrown === 'object' &&
    thrown !== null &&
    'message' in thrown &&
    typeof thrown.message === 'string'
  )
    text = thrown.message
  else text = String(thrown)
  return text.length > maxDescriptionLength ? `${text.slice(0, maxDescriptionLength)}...` : text
}
