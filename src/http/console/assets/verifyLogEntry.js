// @ts-check
/**
 * Verifies one transparency log entry in the browser, without taking the gateway's word for
 * anything: given the entry's raw bytes, its inclusion proof, a signed checkpoint and the public
 * keys, it checks
 *
 * 1. the checkpoint: a C2SP signed note (https://c2sp.org/signed-note) whose Ed25519 signature
 *    by the log key verifies over its text, and whose origin is the key's name;
 * 2. the entry: the RFC 8785 canonical JSON of a DSSE envelope whose signature by an attestation
 *    key verifies over the DSSE pre-authentication encoding of an in-toto statement;
 * 3. the inclusion proof: RFC 6962 / RFC 9162 §2.1.3.2, from the entry's leaf hash
 *    SHA-256(0x00 || entry) up to the checkpoint's root.
 *
 * Hand-written for WebCrypto (SHA-256 and Ed25519) and nothing else, so it runs unchanged in a
 * browser and in Node, where the tests compare it with the gateway's own implementation.
 */

const encoder = new TextEncoder()
const ed25519Type = 0x01
const inTotoPayloadType = 'application/vnd.in-toto+json'
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** @typedef {{ name: string, ok: boolean, detail: string }} VerificationStep */
/** @typedef {{ ok: boolean, steps: VerificationStep[], statement?: unknown, checkpoint?: { origin: string, size: number, root: string } }} Verdict */
/** @typedef {{ keyid: string, publicKey: string }} AttestationKey */

/**
 * Strict standard base64, as the gateway writes it: anything else is not the same bytes.
 * @param {string} text
 * @returns {Uint8Array | undefined}
 */
export function base64ToBytes(text) {
  if (typeof text !== 'string' || !base64Pattern.test(text)) return undefined
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/**
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function bytesToBase64(bytes) {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/**
 * @param {Uint8Array[]} parts
 * @returns {Uint8Array}
 */
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
function equalBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}

/**
 * @param {Uint8Array} bytes
 * @returns {Promise<Uint8Array>}
 */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
}

/**
 * RFC 8785 canonical JSON of a value JSON.parse produced: keys sorted by UTF-16 code units,
 * strings and numbers as JSON.stringify writes them, no whitespace.
 * @param {unknown} value
 * @returns {string}
 */
export function canonicalJson(value) {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('not a finite number')
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (typeof value === 'object') {
    const object = /** @type {Record<string, unknown>} */ (value)
    const members = Object.keys(object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`)
    return `{${members.join(',')}}`
  }
  throw new TypeError(`${typeof value} has no JSON form`)
}

/**
 * DSSE pre-authentication encoding: "DSSEv1 <len(type)> <type> <len(body)> <body>", lengths in bytes.
 * @param {string} payloadType
 * @param {Uint8Array} payload
 * @returns {Uint8Array}
 */
export function preAuthEncoding(payloadType, payload) {
  const type = encoder.encode(payloadType)
  return concat(encoder.encode(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `), payload)
}

/**
 * @param {Uint8Array} publicKey raw 32-byte Ed25519 key
 * @param {Uint8Array} message
 * @param {Uint8Array} signature
 * @returns {Promise<boolean>}
 */
export async function verifyEd25519(publicKey, message, signature) {
  if (publicKey.length !== 32 || signature.length !== 64) return false
  try {
    const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify'])
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message)
  } catch {
    return false
  }
}

/**
 * An `ed25519:<base64>` public key, as GET /v1/audit/keys lists attestation keys.
 * @param {string} text
 * @returns {Uint8Array | undefined}
 */
export function parseEd25519PublicKey(text) {
  if (typeof text !== 'string' || !text.startsWith('ed25519:')) return undefined
  const raw = base64ToBytes(text.slice('ed25519:'.length))
  return raw?.length === 32 ? raw : undefined
}

/**
 * The 4-byte key id of a note key: SHA-256(name || 0x0A || 0x01 || public key)[:4].
 * @param {string} name
 * @param {Uint8Array} publicKey
 */
export async function noteKeyId(name, publicKey) {
  const digest = await sha256(concat(encoder.encode(`${name}\n`), Uint8Array.of(ed25519Type), publicKey))
  return digest.slice(0, 4)
}

/**
 * A C2SP verifier key `<name>+<8 hex key id>+<base64(0x01 || key)>`, checked: the id must be the key's.
 * @param {string} text
 * @returns {Promise<{ name: string, publicKey: Uint8Array } | undefined>}
 */
export async function parseVerifierKey(text) {
  const parts = String(text).trim().split('+')
  if (parts.length < 3) return undefined
  const [name = '', keyIdHex = '', ...rest] = parts
  const key = base64ToBytes(rest.join('+'))
  if (!name || /[\s+]/u.test(name) || !/^[0-9a-f]{8}$/.test(keyIdHex)) return undefined
  if (key?.length !== 33 || key[0] !== ed25519Type) return undefined
  const publicKey = key.slice(1)
  const keyId = await noteKeyId(name, publicKey)
  const hex = [...keyId].map((byte) => byte.toString(16).padStart(2, '0')).join('')
  return hex === keyIdHex ? { name, publicKey } : undefined
}

/**
 * Splits a signed note into its text and signature lines, as strictly as the gateway does.
 * @param {string} note
 * @returns {{ text: string, signatures: { name: string, keyId: Uint8Array, signature: Uint8Array }[] } | undefined}
 */
export function parseSignedNote(note) {
  if (typeof note !== 'string') return undefined
  for (let i = 0; i < note.length; i++) {
    const code = note.charCodeAt(i)
    if (code < 0x20 && code !== 0x0a) return undefined
  }
  const split = note.lastIndexOf('\n\n')
  if (split < 0) return undefined
  const text = note.slice(0, split + 1)
  const block = note.slice(split + 2)
  if (!block.endsWith('\n')) return undefined
  const signatures = []
  for (const line of block.slice(0, -1).split('\n')) {
    const fields = line.startsWith('\u2014 ') ? line.slice(2).split(' ') : []
    if (fields.length !== 2) return undefined
    const [name = '', encoded = ''] = fields
    const blob = base64ToBytes(encoded)
    if (!name || /[\s+]/u.test(name) || !blob || blob.length < 5) return undefined
    signatures.push({ name, keyId: blob.slice(0, 4), signature: blob.slice(4) })
  }
  return { text, signatures }
}

/**
 * A checkpoint's text: origin, tree size, root hash (base64), then optional extension lines.
 * @param {string} text
 * @returns {{ origin: string, size: number, root: Uint8Array } | undefined}
 */
export function parseCheckpointText(text) {
  const lines = text.slice(0, -1).split('\n')
  const [origin = '', sizeText = '', rootText = '', ...extensions] = lines
  if (lines.length < 3 || origin === '' || !/^(0|[1-9][0-9]*)$/.test(sizeText)) return undefined
  const size = Number(sizeText)
  const root = base64ToBytes(rootText)
  if (!Number.isSafeInteger(size) || root?.length !== 32 || bytesToBase64(root) !== rootText) return undefined
  if (extensions.some((line) => line === '')) return undefined
  return { origin, size, root }
}

/**
 * Verifies a checkpoint note against the log's verifier key: a signature line whose name and key
 * id are the key's must verify (one that fails rejects the note), and the origin must be the key's name.
 * @param {string} note
 * @param {string} verifierKey
 */
export async function verifyCheckpoint(note, verifierKey) {
  const verifier = await parseVerifierKey(verifierKey)
  if (!verifier) return { ok: false, detail: 'the log key is not a C2SP Ed25519 verifier key' }
  const parsed = parseSignedNote(note)
  const checkpoint = parsed && parseCheckpointText(parsed.text)
  if (!parsed || !checkpoint) return { ok: false, detail: 'the checkpoint is not a well-formed signed note' }
  const keyId = await noteKeyId(verifier.name, verifier.publicKey)
  const mine = parsed.signatures.filter(
    (signature) => signature.name === verifier.name && equalBytes(signature.keyId, keyId),
  )
  if (mine.length === 0) return { ok: false, detail: `no signature by ${verifier.name}` }
  for (const signature of mine) {
    if (!(await verifyEd25519(verifier.publicKey, encoder.encode(parsed.text), signature.signature)))
      return { ok: false, detail: `the signature of ${verifier.name} does not verify` }
  }
  if (checkpoint.origin !== verifier.name)
    return { ok: false, detail: `the origin is ${checkpoint.origin}, not ${verifier.name}` }
  return { ok: true, checkpoint, detail: `signed by ${verifier.name}: ${checkpoint.size} entries` }
}

/**
 * Verifies a log entry's bytes as a DSSE envelope of an in-toto statement signed by one of `keys`.
 * @param {Uint8Array} entry
 * @param {AttestationKey[]} keys
 */
export async function verifyEnvelopeEntry(entry, keys) {
  /** @type {any} */
  let envelope
  try {
    envelope = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(entry))
  } catch {
    return { ok: false, detail: 'the entry is not UTF-8 JSON' }
  }
  const shaped =
    envelope !== null &&
    typeof envelope === 'object' &&
    typeof envelope.payload === 'string' &&
    typeof envelope.payloadType === 'string' &&
    Array.isArray(envelope.signatures)
  if (!shaped) return { ok: false, detail: 'the entry is not a DSSE envelope' }
  // Only one byte string per envelope may be logged, or one attestation could sit in the log twice.
  if (!equalBytes(encoder.encode(canonicalJson(envelope)), entry))
    return { ok: false, detail: 'the entry is not canonical JSON' }
  if (envelope.payloadType !== inTotoPayloadType)
    return { ok: false, detail: `the payload type is ${envelope.payloadType}` }
  const payload = base64ToBytes(envelope.payload)
  if (!payload) return { ok: false, detail: 'the payload is not base64' }
  const pae = preAuthEncoding(envelope.payloadType, payload)
  for (const signature of envelope.signatures) {
    const sig = typeof signature?.sig === 'string' ? base64ToBytes(signature.sig) : undefined
    if (!sig) continue
    for (const key of keys) {
      const raw = parseEd25519PublicKey(key.publicKey)
      if (raw && (await verifyEd25519(raw, pae, sig))) {
        let statement
        try {
          statement = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload))
        } catch {
          return { ok: false, detail: 'the signed payload is not UTF-8 JSON' }
        }
        return { ok: true, statement, detail: `signed by attestation key ${key.keyid.slice(0, 16)}…` }
      }
    }
  }
  return { ok: false, detail: 'no signature by a trusted attestation key' }
}

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or undefined when the proof cannot
 * belong to a tree of that size.
 * @param {Uint8Array} leafHash
 * @param {number} index
 * @param {number} treeSize
 * @param {Uint8Array[]} proof
 * @returns {Promise<Uint8Array | undefined>}
 */
export async function rootFromInclusionProof(leafHash, index, treeSize, proof) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize)
    return undefined
  if (leafHash.length !== 32 || proof.some((hash) => hash.length !== 32)) return undefined
  let fn = index
  let sn = treeSize - 1
  let r = leafHash
  for (const p of proof) {
    if (sn === 0) return undefined
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat(Uint8Array.of(1), p, r))
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn = Math.floor(sn / 2)
      }
    } else {
      r = await sha256(concat(Uint8Array.of(1), r, p))
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 ? r : undefined
}

/**
 * The whole check of one entry. Every step is reported, so a failure says which one failed.
 * @param {{ index: number, entry: Uint8Array, proof: { treeSize: number, hashes: string[] },
 *   checkpointNote: string, logVerifierKey: string, attestationKeys: AttestationKey[] }} input
 * @returns {Promise<Verdict>}
 */
export async function verifyLogEntry(input) {
  /** @type {VerificationStep[]} */
  const steps = []
  const checkpoint = await verifyCheckpoint(input.checkpointNote, input.logVerifierKey)
  steps.push({ name: 'checkpoint signature', ok: checkpoint.ok, detail: checkpoint.detail })
  const envelope = await verifyEnvelopeEntry(input.entry, input.attestationKeys)
  steps.push({ name: 'entry signature (DSSE)', ok: envelope.ok, detail: envelope.detail })
  let included = false
  let detail = 'no verified checkpoint to prove against'
  if (checkpoint.ok && checkpoint.checkpoint) {
    const hashes = input.proof.hashes.map(base64ToBytes)
    const { size, root } = checkpoint.checkpoint
    if (input.proof.treeSize !== size) {
      detail = `the proof is for a tree of ${input.proof.treeSize} entries, the checkpoint has ${size}`
    } else if (hashes.some((hash) => hash === undefined)) {
      detail = 'the proof holds a hash that is not base64'
    } else {
      const leaf = await sha256(concat(Uint8Array.of(0), input.entry))
      const computed = await rootFromInclusionProof(
        leaf,
        input.index,
        size,
        /** @type {Uint8Array[]} */ (hashes),
      )
      included = computed !== undefined && equalBytes(computed, root)
      detail = included
        ? `entry ${input.index} is in the tree of ${size} entries with root ${bytesToBase64(root)}`
        : `the proof does not lead from entry ${input.index} to the checkpoint's root`
    }
  }
  steps.push({ name: 'inclusion proof (RFC 6962)', ok: included, detail })
  const cp = checkpoint.checkpoint
  return {
    ok: steps.every((step) => step.ok),
    steps,
    ...(envelope.ok ? { statement: envelope.statement } : {}),
    ...(cp ? { checkpoint: { origin: cp.origin, size: cp.size, root: bytesToBase64(cp.root) } } : {}),
  }
}
