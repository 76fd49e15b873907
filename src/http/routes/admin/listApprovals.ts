import { Hono } from 'hono'
import { z } from 'zod'
import type { ApprovalDeps } from '../../../approvals/approvalDeps.js'
import { listPendingApprovals, maxListedApprovals } from '../../../approvals/listPendingApprovals.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput } from '../../readJson.js'
import type { AdminEnv } from './adminEnv.js'

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(maxListedApprovals).default(100),
})

/**
 * GET /v1/admin/approvals: requests held for operator approval and still waiting, soonest expiry
 * first, each with its decoded intent, template, instance, reason, approvals so far, submitters
 * and expiry (auditor).
 */
export function listApprovalsRoute(deps: { verifyAdminKey: AdminKeyVerifier; approvals: ApprovalDeps }) {
  return new Hono<AdminEnv>().get(
    '/v1/admin/approvals',
    requireAdmin(deps.verifyAdminKey, 'read'),
    async (c) => {
      const { limit } = parseInput(listQuery, c.req.query(), 'query')
      return c.json({ approvals: await listPendingApprovals(deps.approvals, { limit }) })
    },
  )
}
