import { readFileSync } from 'node:fs'
import { type PublicKeyInfo, parsePublicKey, parseSigningKey, type SigningKey } from '../crypto/ed25519.js'
import { CliError } from './cliIo.js'

/** Reads a private key file written by `intentgate keys generate --out`, or any Ed25519 PKCS#8 key. */
export function readSigningKeyFile(path: string): SigningKey {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new CliError(`cannot read key file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  try {
    return parseSigningKey(text)
  } catch {
    throw new CliError(`${path} is not an Ed25519 private key`)
  }
}

/** Takes `ed25519:<base64>` as it is, or reads a file holding that or a PEM public key. */
export function readPublicKey(valueOrPath: string): PublicKeyInfo {
  const text = valueOrPath.startsWith('ed25519:') ? valueOrPath : readText(valueOrPath)
  try {
    return parsePublicKey(text)
  } catch (error) {
    throw new CliError(`${valueOrPath.slice(0, 60)}: ${(error as Error).message}`)
  }
}

/** Reads a JSON file, with a one-line error naming the file. */
export function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readText(path))
  } catch (error) {
    if (error instanceof CliError) throw error
    throw new CliError(`${path} is not valid JSON`)
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
  }
}
