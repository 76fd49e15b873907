import { Hono } from 'hono'
import type { AuditReader } from '../../../audit/auditReader.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import type { AdminEnv } from '../admin/adminEnv.js'

/**
 * GET /v1/audit/keys: the log key (as a C2SP verifier key and as ed25519:…) and the attestation
 * keys (auditor). Saved to a file, the answer is what `intentgate audit verify --key` reads; an
 * auditor should still compare it with keys published out of band, since a gateway can lie here.
 */
export function getKeysRoute(deps: { verifyAdminKey: AdminKeyVerifier; audit: AuditReader }) {
  return new Hono<AdminEnv>().get('/v1/audit/keys', requireAdmin(deps.verifyAdminKey, 'read'), (c) =>
    c.json(deps.audit.keys()),
  )
}
