import { Hono } from 'hono'
import type { ApprovalDeps } from '../../../approvals/approvalDeps.js'
import { rejectRequest } from '../../../approvals/decideApproval.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput, readJson } from '../../readJson.js'
import { type AdminEnv, reasonBody, requestIdParam } from './adminEnv.js'

/**
 * POST /v1/admin/approvals/:id/reject `{reason}`: the calling operator rejects a held request
 * (operator). One rejection ends it: attested, its reservation given back, the request cancelled.
 */
export function rejectRequestRoute(deps: { verifyAdminKey: AdminKeyVerifier; approvals: ApprovalDeps }) {
  return new Hono<AdminEnv>().post(
    '/v1/admin/approvals/:id/reject',
    requireAdmin(deps.verifyAdminKey, 'write'),
    async (c) => {
      const { id } = parseInput(requestIdParam, c.req.param(), 'path')
      const { reason } = await readJson(c, reasonBody)
      return c.json({
        approval: await rejectRequest(deps.approvals, { id, operator: c.var.principal, reason }),
      })
    },
  )
}
