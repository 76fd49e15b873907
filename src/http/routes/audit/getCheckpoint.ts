import { Hono } from 'hono'
import type { AuditReader } from '../../../audit/auditReader.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import type { AdminEnv } from '../admin/adminEnv.js'
import { checkpointJson } from './auditJson.js'

/**
 * GET /v1/audit/checkpoint: the latest signed checkpoint, as its C2SP note and decoded (auditor).
 * It covers every durable entry: one is signed first if the last commit's is still queued, so an
 * entry an app was just answered for is always provable against it.
 */
export function getCheckpointRoute(deps: { verifyAdminKey: AdminKeyVerifier; audit: AuditReader }) {
  return new Hono<AdminEnv>().get(
    '/v1/audit/checkpoint',
    requireAdmin(deps.verifyAdminKey, 'read'),
    async (c) => c.json(checkpointJson(await deps.audit.coveringCheckpoint())),
  )
}
