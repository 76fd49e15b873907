import { createHash } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import { z } from 'zod'
import {
  type BundleKeys,
  type BundleSigningAlgorithm,
  trustedKeysOf,
  verifyBundleSignature,
} from './bundleSignature.js'
import { PolicyBundleError } from './policyBundleError.js'
import { opaHashText, parseRawJson, type RawJson, RawJsonNumber, RawJsonObject } from './rawJson.js'
import { readTarArchive, type TarEntry } from './tarArchive.js'
import { defaultEntrypoint } from './wasmPolicy.js'

export type VerifyPolicyBundleOptions = {
  /**
   * Trusted signing keys by key id (the JWT `kid`, `opa build --verification-key-id`), as
   * configured or as `trustBundleKeys` parsed them.
   */
  keys: BundleKeys
  /** The `scope` claim bundles must carry; OPA's default, and this one, is none (""). */
  scope?: string
  /** The entrypoint the bundle's Wasm must provide. */
  entrypoint?: string
  /** Largest bundle accepted, compressed or not. */
  maxBytes?: number
}

/** A bundle whose every file was signed by a trusted key, ready to load. */
export type VerifiedPolicyBundle = {
  /** The Wasm module the manifest names for the entrypoint. */
  wasm: Uint8Array
  /** The bundle's data.json, given to the policy with setData; `{}` when there is none. */
  data: Record<string, unknown>
  /** The `.manifest` revision, set with `opa build --revision`. */
  revision: string
  /** `sha256:<hex>` of the bundle bytes as uploaded: what attestations name the policy by. */
  digest: string
  keyId: string
  algorithm: BundleSigningAlgorithm
  /** Every file the signature covers, sorted. */
  files: string[]
}

const signaturesFile = '.signatures.json'
const manifestFile = '.manifest'
const dataFile = 'data.json'
const defaultMaxBytes = 32 * 1024 * 1024
const hashAlgorithms: Record<string, string> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
}

/**
 * Verifies a signed OPA bundle (a tar.gz from `opa build -t wasm --bundle --signing-key ...`)
 * and returns what the gateway needs to run it. Checks, in order, each refusal a
 * {@link PolicyBundleError} naming what failed:
 *
 * 1. it is a gzipped tar of regular files (`malformed`);
 * 2. it has a `.signatures.json` with exactly one JWT (`unsigned`, `malformed`);
 * 3. the JWT names a trusted key, uses that key's algorithm and verifies (`key-unknown`,
 *    `algorithm-rejected`, `signature-invalid`), for the expected scope (`scope-mismatch`);
 * 4. the files listed in the JWT and the files in the bundle are the same set (`file-unlisted`,
 *    `file-missing`) and each hashes as signed (`file-tampered`): JSON files (`.manifest`,
 *    `data.json`) over OPA's canonical form, everything else over its bytes;
 * 5. the content is usable (`content-invalid`): a manifest with a revision and a Wasm module for
 *    the entrypoint, a root data.json holding an object, and no file kinds the gateway ignores,
 *    since an ignored file would be signed yet never enforced.
 */
export function verifyPolicyBundle(
  bundle: Uint8Array,
  options: VerifyPolicyBundleOptions,
): VerifiedPolicyBundle {
  const maxBytes = options.maxBytes ?? defaultMaxBytes
  if (bundle.length > maxBytes)
    throw new PolicyBundleError('malformed', `the bundle is ${bundle.length} bytes, more than ${maxBytes}`)
  const entries = unpack(bundle, maxBytes)
  const files = new Map(entries.map((entry) => [entry.name, entry.data]))

  const signatures = files.get(signaturesFile)
  if (signatures === undefined)
    throw new PolicyBundleError(
      'unsigned',
      `the bundle has no ${signaturesFile}; build it with --signing-key`,
    )
  const trusted = trustedKeysOf(options.keys)
  if (trusted.size === 0)
    throw new PolicyBundleError('key-unknown', 'the gateway trusts no bundle signing key')
  const signature = verifyBundleSignature(readSignatureToken(signatures), trusted, options.scope ?? '')

  const listed = new Map<string, { hash: string; algorithm: string }>()
  for (const file of signature.claims.files) {
    if (listed.has(file.name))
      throw new PolicyBundleError('malformed', `the signature lists ${file.name} twice`)
    listed.set(file.name, file)
  }
  for (const name of files.keys()) {
    if (name !== signaturesFile && !listed.has(name))
      throw new PolicyBundleError('file-unlisted', `${name} is not covered by the signature`)
  }
  if (listed.has(signaturesFile))
    throw new PolicyBundleError(
      'malformed',
      `the signature lists ${signaturesFile}, which cannot sign itself`,
    )
  for (const [name, signed] of listed) {
    const data = files.get(name)
    if (data === undefined)
      throw new PolicyBundleError('file-missing', `${name} is signed but not in the bundle`)
    const hash = hashAlgorithms[signed.algorithm]
    if (hash === undefined)
      throw new PolicyBundleError('algorithm-rejected', `${name} is hashed with ${signed.algorithm}`)
    if (bundleFileHash(name, data, hash) !== signed.hash)
      throw new PolicyBundleError('file-tampered', `${name} does not hash to the signed value`)
  }

  const entrypoint = options.entrypoint ?? defaultEntrypoint
  const manifest = readManifest(files.get(manifestFile), entrypoint)
  for (const name of files.keys()) {
    const known =
      [signaturesFile, manifestFile, dataFile, manifest.module].includes(name) || name.endsWith('.rego')
    if (!known) throw new PolicyBundleError('content-invalid', `${name} is not a file the gateway runs`)
  }
  const wasm = files.get(manifest.module)
  if (wasm === undefined)
    throw new PolicyBundleError('content-invalid', `the manifest names ${manifest.module}, which is missing`)
  const dataBytes = files.get(dataFile)
  return {
    wasm,
    data: dataBytes === undefined ? {} : readData(dataBytes),
    revision: manifest.revision,
    digest: `sha256:${createHash('sha256').update(bundle).digest('hex')}`,
    keyId: signature.keyId,
    algorithm: signature.algorithm,
    files: [...listed.keys()].sort(),
  }
}

function unpack(bundle: Uint8Array, maxBytes: number): TarEntry[] {
  let archive: Uint8Array
  try {
    archive = gunzipSync(bundle, { maxOutputLength: maxBytes })
  } catch (error) {
    throw new PolicyBundleError('malformed', 'the bundle is not gzip within the size limit', { cause: error })
  }
  try {
    return readTarArchive(archive)
  } catch (error) {
    throw new PolicyBundleError('malformed', `the bundle is not a plain tar: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

const signaturesSchema = z.strictObject({
  signatures: z.array(z.string()),
  plugin: z.literal('_default').optional(),
})

function readSignatureToken(bytes: Uint8Array): string {
  parseJsonFile(signaturesFile, bytes, 'malformed')
  const parsed = signaturesSchema.safeParse(JSON.parse(utf8.decode(bytes)))
  if (!parsed.success)
    throw new PolicyBundleError('malformed', `${signaturesFile} must hold {signatures: [one JWT]}`)
  const [token, ...others] = parsed.data.signatures
  if (token === undefined) throw new PolicyBundleError('unsigned', `${signaturesFile} holds no JWT`)
  if (others.length > 0) throw new PolicyBundleError('malformed', `${signaturesFile} holds more than one JWT`)
  return token
}

/** OPA's file hash: JSON files over their canonical text, other files over their bytes. */
function bundleFileHash(name: string, data: Uint8Array, hash: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1)
  if (base === 'data.yaml' || base === 'data.yml')
    throw new PolicyBundleError('content-invalid', `${name}: YAML data is not supported; use data.json`)
  const structured = base === dataFile || base === manifestFile || base === signaturesFile
  const hashed = structured ? opaHashText(parseJsonFile(name, data, 'file-tampered')) : data
  return createHash(hash).update(hashed).digest('hex')
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function parseJsonFile(name: string, bytes: Uint8Array, problem: 'malformed' | 'file-tampered'): RawJson {
  try {
    return parseRawJson(utf8.decode(bytes))
  } catch (error) {
    throw new PolicyBundleError(problem, `${name} is not JSON`, { cause: error })
  }
}

const manifestSchema = z.object({
  revision: z.string().min(1),
  wasm: z.array(z.object({ entrypoint: z.string(), module: z.string() })),
})

function readManifest(
  bytes: Uint8Array | undefined,
  entrypoint: string,
): { revision: string; module: string } {
  if (bytes === undefined) throw new PolicyBundleError('content-invalid', `the bundle has no ${manifestFile}`)
  const parsed = manifestSchema.safeParse(JSON.parse(utf8.decode(bytes)))
  if (!parsed.success)
    throw new PolicyBundleError(
      'content-invalid',
      `${manifestFile} needs a revision (opa build --revision) and its wasm modules`,
    )
  const modules = parsed.data.wasm.filter((module) => module.entrypoint === entrypoint)
  const [module] = modules
  if (module === undefined || modules.length > 1)
    throw new PolicyBundleError(
      'content-invalid',
      `${manifestFile} names no single Wasm module for ${entrypoint}`,
    )
  return { revision: parsed.data.revision, module: module.module.replace(/^\//, '') }
}

/**
 * JSON.parse would round an integer past 2^53 and give the policy a different number than the
 * one signed, so such numbers are refused instead.
 */
function readData(bytes: Uint8Array): Record<string, unknown> {
  const raw = parseJsonFile(dataFile, bytes, 'file-tampered')
  if (!(raw instanceof RawJsonObject))
    throw new PolicyBundleError('content-invalid', `${dataFile} must hold a JSON object`)
  const inexact = findInexactNumber(raw)
  if (inexact !== undefined)
    throw new PolicyBundleError(
      'content-invalid',
      `${dataFile} holds ${inexact}, which JSON numbers cannot carry exactly`,
    )
  return JSON.parse(utf8.decode(bytes)) as Record<string, unknown>
}

function findInexactNumber(value: RawJson): string | undefined {
  if (value instanceof RawJsonNumber) {
    const isInteger = /^-?\d+$/.test(value.text)
    return isInteger && !Number.isSafeInteger(Number(value.text)) ? value.text : undefined
  }
  const children = Array.isArray(value)
    ? value
    : value instanceof RawJsonObject
      ? [...value.members.values()]
      : []
  for (const child of children) {
    const found = findInexactNumber(child)
    if (found !== undefined) return found
  }
  return undefined
}
