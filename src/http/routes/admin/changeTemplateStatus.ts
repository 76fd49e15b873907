import { Hono } from 'hono'
import type { RecordAdminAction } from '../../../admin/adminActions.js'
import { changeTemplateStatus } from '../../../admin/operatorActions.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import type { TemplateRegistry } from '../../../templates/registry.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput, readJson } from '../../readJson.js'
import { type AdminEnv, digestParam, reasonBody } from './adminEnv.js'

type Deps = {
  verifyAdminKey: AdminKeyVerifier
  registry: TemplateRegistry
  recordAdminAction: RecordAdminAction
}

/**
 * POST /v1/admin/templates/:digest/deprecate (no new instances) and
 * POST /v1/admin/templates/:digest/revoke (every instance refused at once), each with a reason (operator).
 */
export function changeTemplateStatusRoute(deps: Deps, change: 'deprecate' | 'revoke') {
  return new Hono<AdminEnv>().post(
    `/v1/admin/templates/:digest/${change}`,
    requireAdmin(deps.verifyAdminKey, 'write'),
    async (c) => {
      const { digest } = parseInput(digestParam, c.req.param(), 'path')
      const { reason } = await readJson(c, reasonBody)
      const record = await changeTemplateStatus(deps, c.var.principal, { change, digest, reason })
      const { manifest: _manifest, envelope: _envelope, ...summary } = record
      return c.json({ template: summary })
    },
  )
}
