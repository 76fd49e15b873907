import { Hono } from 'hono'
import type { AuditReader } from '../../../audit/auditReader.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import type { AdminEnv } from '../admin/adminEnv.js'
import { checkpointJson } from './auditJson.js'

/** GET /v1/audit/checkpoint: the latest signed checkpoint, as its C2SP note and decoded (auditor). */
export function getCheckpointRoute(deps: { verifyAdminKey: AdminKeyVerifier; audit: AuditReader }) {
  return new Hono<AdminEnv>().get('/v1/audit/checkpoint', requireAdmin(deps.verifyAdminKey, 'read'), (c) =>
    c.json(checkpointJson(deps.audit.latestCheckpoint())),
  )
}
