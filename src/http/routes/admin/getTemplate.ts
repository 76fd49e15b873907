import { Hono } from 'hono'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { IntentGateError } from '../../../errors/index.js'
import type { TemplateRegistry } from '../../../templates/registry.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput } from '../../readJson.js'
import { type AdminEnv, digestParam } from './adminEnv.js'

/** GET /v1/admin/templates/:digest: one version with its manifest and signed envelope (auditor). */
export function getTemplateRoute(deps: { verifyAdminKey: AdminKeyVerifier; registry: TemplateRegistry }) {
  return new Hono<AdminEnv>().get(
    '/v1/admin/templates/:digest',
    requireAdmin(deps.verifyAdminKey, 'read'),
    async (c) => {
      const { digest } = parseInput(digestParam, c.req.param(), 'path')
      const record = await deps.registry.get(digest)
      if (!record) throw new IntentGateError('TEMPLATE_NOT_FOUND', 'No such template', { details: digest })
      return c.json({ template: record })
    },
  )
}
