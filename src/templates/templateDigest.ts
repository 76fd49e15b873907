import { createHash } from 'node:crypto'
import { canonicalJson } from '../crypto/canonicalJson.js'

export type TemplateDigest = `sha256:${string}`

/**
 * The digest that names a template: `sha256:` and the hex sha256 of the RFC 8785 canonical JSON of
 * the manifest document.
 *
 * Pass the document exactly as signed and JSON-parsed, not the output of `parseTemplateManifest`:
 * parsing normalizes (signatures, address checksums, defaults filled in), and a digest of the
 * normalized form would name a document nobody signed. Key order and whitespace do not matter;
 * every other byte does. Throws a `CanonicalJsonError` for a value that is not JSON.
 */
export function templateDigest(manifestJson: unknown): TemplateDigest {
  return `sha256:${createHash('sha256').update(canonicalJson(manifestJson), 'utf8').digest('hex')}`
}
