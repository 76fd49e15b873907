import { Hono } from 'hono'
import type { ApprovalDeps } from '../../../approvals/approvalDeps.js'
import { approveRequest } from '../../../approvals/decideApproval.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput } from '../../readJson.js'
import { type AdminEnv, requestIdParam } from './adminEnv.js'

/**
 * POST /v1/admin/approvals/:id/approve: the calling operator approves a held request (operator;
 * no body). Counted once per operator, never for a submitter of the request; the k-th distinct
 * approval sends it on. Answers the approval as it stands, and whether this call counted.
 */
export function approveRequestRoute(deps: { verifyAdminKey: AdminKeyVerifier; approvals: ApprovalDeps }) {
  return new Hono<AdminEnv>().post(
    '/v1/admin/approvals/:id/approve',
    requireAdmin(deps.verifyAdminKey, 'write'),
    async (c) => {
      const { id } = parseInput(requestIdParam, c.req.param(), 'path')
      return c.json(await approveRequest(deps.approvals, { id, operator: c.var.principal }))
    },
  )
}
