import { Hono } from 'hono'
import type { ApprovalDeps } from '../../../approvals/approvalDeps.js'
import { getApproval } from '../../../approvals/decideApproval.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput } from '../../readJson.js'
import { type AdminEnv, requestIdParam } from './adminEnv.js'

/** GET /v1/admin/approvals/:id: one held request's approval, whatever became of it (auditor). */
export function getApprovalRoute(deps: { verifyAdminKey: AdminKeyVerifier; approvals: ApprovalDeps }) {
  return new Hono<AdminEnv>().get(
    '/v1/admin/approvals/:id',
    requireAdmin(deps.verifyAdminKey, 'read'),
    async (c) => {
      const { id } = parseInput(requestIdParam, c.req.param(), 'path')
      return c.json({ approval: await getApproval(deps.approvals, id) })
    },
  )
}
