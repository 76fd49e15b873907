import { canonicalJson } from '../crypto/canonicalJson.js'
import { type DsseEnvelope, signEnvelope } from '../crypto/dsse.js'
import type { SigningKey } from '../crypto/ed25519.js'
import { TEMPLATE_PAYLOAD_TYPE } from './manifest.js'

/**
 * Signs a manifest document with every key given, as a DSSE envelope of type
 * `application/vnd.intentgate.template+json` whose payload is the document's canonical JSON.
 *
 * Signing the canonical bytes makes the template digest the sha256 of the payload itself, and the
 * verifier refuses any other encoding. This does not validate the manifest: callers that accept
 * documents from people (the CLI) run `parseTemplateManifest` first, so they never sign a template
 * the gateway will refuse. Throws a `CanonicalJsonError` for a value that is not JSON.
 */
export function signTemplate(manifest: unknown, keys: SigningKey[]): DsseEnvelope {
  return signEnvelope(TEMPLATE_PAYLOAD_TYPE, new TextEncoder().encode(canonicalJson(manifest)), keys)
}
