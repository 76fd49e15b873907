import { existsSync, readFileSync } from 'node:fs'
import { NoteFormatError, parseVerifierKey } from '../attest/signedNote.js'
import type { LogVerificationKeys } from '../attest/verifyLogView.js'
import { type PublicKeyInfo, parsePublicKey } from '../crypto/ed25519.js'
import { CliError } from './cliIo.js'

/**
 * Reads the keys given to `intentgate audit verify --key`, each of which is one of:
 * - the log key as a C2SP verifier key, `<origin>+<key id>+<base64>` (GET /v1/audit/keys `log.verifierKey`);
 * - an attestation key, `ed25519:<base64>`;
 * - a file holding such lines, or the JSON that GET /v1/audit/keys answers.
 * Exactly one log key and at least one attestation key are needed. The origin checkpoints must
 * carry is the log key's name unless `origin` says otherwise.
 */
export function readVerificationKeys(values: readonly string[], origin?: string): LogVerificationKeys {
  const logKeys: ReturnType<typeof parseVerifierKey>[] = []
  const attestation: PublicKeyInfo[] = []
  const add = (text: string, from: string) => {
    const value = text.trim()
    if (value === '') return
    if (value.startsWith('ed25519:')) attestation.push(publicKey(value, from))
    else logKeys.push(verifierKey(value, from))
  }
  for (const value of values) {
    if (value.startsWith('ed25519:') || !existsSync(value)) {
      add(value, 'a --key value')
      continue
    }
    const text = readFileSync(value, 'utf8')
    const published = publishedKeys(text)
    if (published) {
      add(published.log, value)
      for (const key of published.attestation) add(key, value)
    } else for (const line of text.split('\n')) add(line, value)
  }
  const [log, ...extra] = logKeys
  if (!log)
    throw new CliError('no log key: pass --key <origin>+<key id>+<key> (log.verifierKey of /v1/audit/keys)')
  if (extra.length > 0) throw new CliError('more than one log key given: a log has one')
  if (attestation.length === 0) throw new CliError('no attestation key: pass --key ed25519:<base64>')
  return { log: { ...log, origin: origin ?? log.name }, attestation }
}

/** The keys of a saved GET /v1/audit/keys answer, or undefined for a file that is not one. */
function publishedKeys(text: string): { log: string; attestation: string[] } | undefined {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  const document = json as { log?: { verifierKey?: unknown }; attestation?: { publicKey?: unknown }[] }
  const log = document.log?.verifierKey
  const attestation = Array.isArray(document.attestation)
    ? document.attestation.map((key) => key.publicKey).filter((key) => typeof key === 'string')
    : []
  if (typeof log !== 'string') throw new CliError('the keys file is JSON but has no log.verifierKey')
  return { log, attestation }
}

function verifierKey(text: string, from: string) {
  try {
    return parseVerifierKey(text)
  } catch (error) {
    const reason = error instanceof NoteFormatError ? error.message : 'unreadable'
    throw new CliError(`${from} is neither an ed25519: key, a file, nor a C2SP verifier key (${reason})`)
  }
}

function publicKey(text: string, from: string): PublicKeyInfo {
  try {
    return parsePublicKey(text)
  } catch (error) {
    throw new CliError(`${from}: ${(error as Error).message}`)
  }
}
