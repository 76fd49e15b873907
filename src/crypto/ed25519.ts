import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto'

/** An Ed25519 public key with its id: the hex sha256 of the raw 32-byte key. */
export type PublicKeyInfo = { keyid: string; publicKey: KeyObject; raw: Uint8Array }

/** An Ed25519 signing key. The private part stays inside the KeyObject and never prints. */
export type SigningKey = PublicKeyInfo & { privateKey: KeyObject }

/** Textual form of a public key, as it appears in config and in `intentgate keys generate` output. */
const publicKeyPrefix = 'ed25519:'
const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex')

/** Generates a fresh Ed25519 key pair. */
export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519')
  return signingKeyFrom(privateKey)
}

/** Builds a signing key from a PKCS#8 private key, PEM or base64 DER. */
export function parseSigningKey(text: string): SigningKey {
  const trimmed = text.trim()
  const privateKey = trimmed.startsWith('-----BEGIN')
    ? createPrivateKey(trimmed)
    : createPrivateKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'pkcs8' })
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 private key')
  return signingKeyFrom(privateKey)
}

/** Parses `ed25519:<base64 of the raw 32-byte key>`, or a PEM SPKI public key. */
export function parsePublicKey(text: string): PublicKeyInfo {
  const trimmed = text.trim()
  let publicKey: KeyObject
  if (trimmed.startsWith(publicKeyPrefix)) {
    const raw = Buffer.from(trimmed.slice(publicKeyPrefix.length), 'base64')
    if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes')
    publicKey = createPublicKey({ key: Buffer.concat([spkiPrefix, raw]), format: 'der', type: 'spki' })
  } else {
    publicKey = createPublicKey(trimmed)
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key')
  return publicKeyInfo(publicKey)
}

/** `ed25519:<base64>`: the compact textual form of a public key. */
export function formatPublicKey(key: PublicKeyInfo): string {
  return `${publicKeyPrefix}${Buffer.from(key.raw).toString('base64')}`
}

/** PKCS#8 DER of a private key, base64: the form `parseSigningKey` reads back. */
export function exportSigningKey(key: SigningKey): string {
  return key.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')
}

export function signEd25519(key: SigningKey, message: Uint8Array): Uint8Array {
  return sign(null, message, key.privateKey)
}

/** Verifies an Ed25519 signature; a malformed signature is simply invalid, never an exception. */
export function verifyEd25519(key: PublicKeyInfo, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false
  try {
    return verify(null, message, key.publicKey, signature)
  } catch {
    return false
  }
}

function signingKeyFrom(privateKey: KeyObject): SigningKey {
  return { ...publicKeyInfo(createPublicKey(privateKey)), privateKey }
}

function publicKeyInfo(publicKey: KeyObject): PublicKeyInfo {
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(spkiPrefix.length))
  return { keyid: createHash('sha256').update(raw).digest('hex'), publicKey, raw }
}
