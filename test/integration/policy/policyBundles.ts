import { execFileSync } from 'node:child_process'
import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { opaHashText, parseRawJson } from '../../../src/policy/rawJson.js'
import { readTarArchive, type TarEntry } from '../../../src/policy/tarArchive.js'
import { repoRoot } from '../../support/paths.js'

/** On a fresh machine ensure-opa compiles OPA with `go install`, which takes minutes. */
export const opaTimeoutMs = 20 * 60_000

// stderr is inherited so a slow first run shows go install's progress instead of hanging quietly.
export function run(command: string, args: string[], cwd = repoRoot): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: opaTimeoutMs,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
}

export function opaPath(): string {
  return run('bash', ['scripts/ensure-opa']).trim().split('\n').at(-1) ?? 'opa'
}

export type SigningKey = { privateKeyPath: string; publicKeyPem: string; publicKey: KeyObject }

/** A fresh key pair, its private half written where `opa build --signing-key` can read it. */
export function generateSigningKey(dir: string, name: string, type: 'rsa' | 'p256' | 'ed25519'): SigningKey {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'p256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519')
  const privateKeyPath = join(dir, `${name}.pem`)
  writeFileSync(privateKeyPath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
  return {
    privateKeyPath,
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicKey: pair.publicKey,
  }
}

export type SignOptions = { key: SigningKey; keyId: string; revision: string; output: string; alg?: string }

/** Signs the repository's policies/ with `scripts/policies sign`, as an operator would. */
export function signPolicies(options: SignOptions): Uint8Array {
  const { key, keyId, revision, output, alg = 'RS256' } = options
  run('bash', [
    'scripts/policies',
    'sign',
    '--signing-key',
    key.privateKeyPath,
    '--signing-alg',
    alg,
    '--key-id',
    keyId,
    '--revision',
    revision,
    '--output',
    output,
  ])
  return new Uint8Array(readFileSync(output))
}

/**
 * Signs a copy of policies/ whose data.json is replaced by `data`, with the flags
 * scripts/policies uses, so a test can swap in a policy that decides differently.
 */
export function signPoliciesWithData(
  workDir: string,
  data: Record<string, unknown>,
  options: SignOptions,
): Uint8Array {
  return signEditedPolicies(workDir, { data }, options)
}

/** One change to a Rego source: `from` must occur in it exactly once, so a stale edit fails loudly. */
export type RegoEdit = { file: string; from: string; to: string }

/**
 * Signs a copy of policies/ with its data.json replaced by `data` (when given) and each Rego
 * edit applied, built by the real opa as scripts/policies builds: a candidate whose rules differ.
 */
export function signEditedPolicies(
  workDir: string,
  changes: { data?: Record<string, unknown>; rego?: RegoEdit[] },
  options: SignOptions,
): Uint8Array {
  const root = join(workDir, `tree-${options.revision}`)
  mkdirSync(root, { recursive: true })
  cpSync(join(repoRoot, 'policies'), join(root, 'policies'), { recursive: true })
  const source = join(root, 'policies', 'intentgate')
  if (changes.data) writeFileSync(join(source, 'data.json'), JSON.stringify(changes.data))
  for (const { file, from, to } of changes.rego ?? []) {
    const text = readFileSync(join(source, file), 'utf8')
    if (text.split(from).length !== 2)
      throw new Error(`${file}: expected exactly one ${JSON.stringify(from)}`)
    writeFileSync(join(source, file), text.replace(from, to))
  }
  run(
    opaPath(),
    [
      ...bundleBuildArgs(options.revision, options.output),
      '--signing-key',
      options.key.privateKeyPath,
      '--signing-alg',
      options.alg ?? 'RS256',
      '--verification-key-id',
      options.keyId,
      'policies',
    ],
    root,
  )
  return new Uint8Array(readFileSync(options.output))
}

/** The `opa build` flags scripts/policies uses for a bundle, without signing or the source directory. */
export function bundleBuildArgs(revision: string, output: string): string[] {
  return [
    'build',
    '--bundle',
    '--target',
    'wasm',
    '--entrypoint',
    'intentgate/decision',
    '--ignore',
    'build',
    '--ignore',
    '*_test.rego',
    '--revision',
    revision,
    '--output',
    output,
  ]
}

/** The files of a bundle, by name without the leading `/`. */
export function unpackBundle(bundle: Uint8Array): TarEntry[] {
  return readTarArchive(gunzipSync(bundle))
}

/** A bundle rebuilt from `bundle` after `edit` changed its files, the way a tamperer would. */
export function repackBundle(bundle: Uint8Array, edit: (entries: TarEntry[]) => TarEntry[]): Uint8Array {
  return writeBundle(edit(unpackBundle(bundle)))
}

const encoder = new TextEncoder()

/** A tar.gz laid out as opa writes bundles: ustar headers, names starting with `/`. */
export function writeBundle(entries: TarEntry[]): Uint8Array {
  const blocks: Uint8Array[] = []
  for (const { name, data } of entries) {
    const header = new Uint8Array(512)
    const put = (offset: number, text: string) => header.set(encoder.encode(text), offset)
    put(0, `/${name}`)
    put(100, '0000600\0')
    put(108, '0000000\0')
    put(116, '0000000\0')
    put(124, `${data.length.toString(8).padStart(11, '0')}\0`)
    put(136, '00000000000\0')
    put(156, '0')
    put(257, 'ustar\u000000')
    header.fill(0x20, 148, 156)
    const sum = header.reduce((total, byte) => total + byte, 0)
    put(148, `${sum.toString(8).padStart(6, '0')}\0 `)
    const body = new Uint8Array(Math.ceil(data.length / 512) * 512)
    body.set(data)
    blocks.push(header, body)
  }
  blocks.push(new Uint8Array(1024))
  return new Uint8Array(gzipSync(Buffer.concat(blocks)))
}

export function entryText(entries: TarEntry[], name: string): string {
  const entry = entries.find((candidate) => candidate.name === name)
  if (entry === undefined) throw new Error(`the bundle has no ${name}`)
  return new TextDecoder().decode(entry.data)
}

export function replaceEntry(entries: TarEntry[], name: string, data: Uint8Array | string): TarEntry[] {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data
  return entries.map((entry) => (entry.name === name ? { name, data: bytes } : entry))
}

/**
 * Signs files the way opa does (RS256 JWT over the SHA-256 of each file, JSON files over
 * their canonical form) and adds .signatures.json, for bundles opa itself would never build.
 */
export function signEntries(entries: TarEntry[], key: SigningKey, keyId: string): TarEntry[] {
  const files = entries.map(({ name, data }) => {
    const structured = name === '.manifest' || name.endsWith('data.json')
    const hashed = structured ? opaHashText(parseRawJson(new TextDecoder().decode(data))) : data
    return { name, hash: createHash('sha256').update(hashed).digest('hex'), algorithm: 'SHA-256' }
  })
  const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${segment({ alg: 'RS256', kid: keyId, typ: 'JWT' })}.${segment({ files, keyid: keyId })}`
  const privateKey = createPrivateKey(readFileSync(key.privateKeyPath))
  const token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
  const signatures = encoder.encode(JSON.stringify({ signatures: [token], plugin: '_default' }))
  return [...entries, { name: '.signatures.json', data: signatures }]
}
