import { trustedKeysOf } from './bundleSignature.js'
import { PolicyBundleError } from './policyBundleError.js'
import { type VerifyPolicyBundleOptions, verifyPolicyBundle } from './verifyPolicyBundle.js'
import {
  defaultEntrypoint,
  loadWasmPolicy,
  PolicyLoadError,
  type WasmPolicy,
  wasmDigest,
} from './wasmPolicy.js'

/** A loaded policy and the names attestations record it by. */
export type LoadedPolicy = {
  readonly policy: WasmPolicy
  /** The bundle's `.manifest` revision. */
  readonly revision: string
  /** `sha256:<hex>` of the signed bundle, or of the Wasm for a policy loaded without one. */
  readonly digest: string
  /** The key that signed the bundle, when there was one. */
  readonly keyId?: string
}

/** The policy serving requests at one moment. Frozen: a swap makes a new one. */
export type PolicySnapshot = LoadedPolicy & {
  /** ISO 8601 time the snapshot became active. */
  readonly activatedAt: string
}

/** A policy that served before the current one. */
export type PolicyRevisionRecord = {
  readonly revision: string
  readonly digest: string
  readonly keyId?: string
  readonly activatedAt: string
  readonly replacedAt: string
}

export type PolicySwap = { readonly active: PolicySnapshot; readonly replaced: PolicySnapshot }

export type PolicyStore = {
  /**
   * The active policy. Take it once per request and use that snapshot for the decision and its
   * attestation: a swap meanwhile replaces the store's reference, never the snapshot.
   */
  current(): PolicySnapshot
  /**
   * Verifies a signed bundle, loads it and sets its data, and only then makes it active. When
   * any step fails it throws a {@link PolicyBundleError} and the active policy stays as it was.
   * Swaps apply one at a time, in the order they were asked for.
   */
  swap(bundle: Uint8Array): Promise<PolicySwap>
  /** Earlier policies, most recent first, at most `historyLimit` of them. */
  history(): readonly PolicyRevisionRecord[]
  /**
   * Verifies and loads a bundle exactly as `swap` would, without making it active: a candidate
   * for replay against logged decisions. Throws a {@link PolicyBundleError} like `swap`.
   */
  loadCandidate(bundle: Uint8Array): Promise<LoadedPolicy>
}

export type LoadPolicyBundleOptions = VerifyPolicyBundleOptions

/**
 * Verifies a signed bundle ({@link verifyPolicyBundle}) and loads its Wasm with its data, once.
 * A bundle that verifies but whose Wasm does not load is refused as `load-failed`.
 */
export async function loadPolicyBundle(
  bundle: Uint8Array,
  options: LoadPolicyBundleOptions,
): Promise<LoadedPolicy> {
  const verified = verifyPolicyBundle(bundle, options)
  let policy: WasmPolicy
  try {
    policy = await loadWasmPolicy({
      wasm: verified.wasm,
      data: verified.data,
      revision: verified.revision,
      digest: wasmDigest(verified.wasm),
      entrypoint: options.entrypoint ?? defaultEntrypoint,
    })
  } catch (error) {
    const detail = error instanceof PolicyLoadError ? error.message : 'the Wasm module failed to load'
    throw new PolicyBundleError('load-failed', detail, { cause: error })
  }
  return { policy, revision: verified.revision, digest: verified.digest, keyId: verified.keyId }
}

export type CreatePolicyStoreParameters = {
  /** What serves until the first swap: a loaded bundle, or a policy loaded from files. */
  initial: LoadedPolicy | WasmPolicy
  /**
   * Keys, scope and entrypoint that every swapped-in bundle is verified against. Without it the
   * gateway trusts no signing key, and every swap is refused.
   */
  verification?: LoadPolicyBundleOptions
  /** How many replaced policies `history()` keeps. */
  historyLimit?: number
  clock?: () => Date
}

/**
 * Holds the active policy and swaps it for a newly uploaded bundle without disturbing requests
 * in flight: each request reads one immutable snapshot, and a new bundle is fully verified and
 * loaded (compiled once, data set once) before a single assignment makes it active.
 */
export function createPolicyStore(parameters: CreatePolicyStoreParameters): PolicyStore {
  const { initial, historyLimit = 20, clock = () => new Date() } = parameters
  // Parsed once, so a key that cannot be used fails when the gateway starts.
  const verification = {
    ...parameters.verification,
    keys: trustedKeysOf(parameters.verification?.keys ?? {}),
  }
  const loaded: LoadedPolicy =
    'evaluate' in initial ? { policy: initial, revision: initial.revision, digest: initial.digest } : initial
  let active = snapshot(loaded, clock())
  let history: readonly PolicyRevisionRecord[] = Object.freeze([])
  let pending: Promise<unknown> = Promise.resolve()

  const activate = async (bundle: Uint8Array): Promise<PolicySwap> => {
    const next = await loadPolicyBundle(bundle, verification)
    const replaced = active
    const now = clock()
    active = snapshot(next, now)
    history = Object.freeze([record(replaced, now), ...history].slice(0, historyLimit))
    return { active, replaced }
  }

  return {
    current: () => active,
    swap(bundle) {
      const swapped = pending.then(() => activate(bundle))
      pending = swapped.catch(() => undefined)
      return swapped
    },
    history: () => history,
    loadCandidate: (bundle) => loadPolicyBundle(bundle, verification),
  }
}

function snapshot(loaded: LoadedPolicy, at: Date): PolicySnapshot {
  const { policy, revision, digest, keyId } = loaded
  return Object.freeze({
    policy,
    revision,
    digest,
    ...(keyId === undefined ? {} : { keyId }),
    activatedAt: at.toISOString(),
  })
}

function record(replaced: PolicySnapshot, at: Date): PolicyRevisionRecord {
  const { revision, digest, keyId, activatedAt } = replaced
  return Object.freeze({
    revision,
    digest,
    ...(keyId === undefined ? {} : { keyId }),
    activatedAt,
    replacedAt: at.toISOString(),
  })
}
