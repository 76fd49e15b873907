import { IntentGateError } from '../errors/baseError.js'

/** Why a policy bundle was refused; each is a distinct test of the bundle. */
export type PolicyBundleProblem =
  /** Not a gzipped tar of regular files, or a part of it is not the JSON it should be. */
  | 'malformed'
  /** No .signatures.json: nothing vouches for the bundle. */
  | 'unsigned'
  /** The signature names no key, or a key id the gateway does not trust. */
  | 'key-unknown'
  /** Signed or hashed with an algorithm other than the one the trusted key allows. */
  | 'algorithm-rejected'
  /** The token is malformed or its signature does not verify. */
  | 'signature-invalid'
  /** The token's scope claim is not the scope the gateway expects. */
  | 'scope-mismatch'
  /** A file in the bundle is not listed in the signature. */
  | 'file-unlisted'
  /** A file listed in the signature is not in the bundle. */
  | 'file-missing'
  /** A file's hash differs from the one signed. */
  | 'file-tampered'
  /** Authentic, but not something the gateway can run: no revision, no Wasm for the entrypoint. */
  | 'content-invalid'
  /** Authentic and complete, but the Wasm would not load or rejected its data. */
  | 'load-failed'

const shortMessages: Record<PolicyBundleProblem, string> = {
  malformed: 'Policy bundle is malformed',
  unsigned: 'Policy bundle is not signed',
  'key-unknown': 'Policy bundle is not signed by a trusted key',
  'algorithm-rejected': 'Policy bundle uses an algorithm the key does not allow',
  'signature-invalid': 'Policy bundle signature is invalid',
  'scope-mismatch': 'Policy bundle is signed for another scope',
  'file-unlisted': 'Policy bundle holds a file its signature does not cover',
  'file-missing': 'Policy bundle lacks a file its signature lists',
  'file-tampered': 'Policy bundle file does not match its signature',
  'content-invalid': 'Policy bundle cannot be used',
  'load-failed': 'Policy bundle does not load',
}

/**
 * A refused policy bundle (POLICY_BUNDLE_INVALID). `problem` says which check failed; the
 * details name the file or key involved and are safe to show to the operator who uploaded it.
 */
export class PolicyBundleError extends IntentGateError {
  override name = 'PolicyBundleError'
  readonly problem: PolicyBundleProblem

  constructor(problem: PolicyBundleProblem, details: string, options: { cause?: unknown } = {}) {
    super('POLICY_BUNDLE_INVALID', shortMessages[problem], { details, cause: options.cause })
    this.problem = problem
  }
}
