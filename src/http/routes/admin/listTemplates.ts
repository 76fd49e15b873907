import { Hono } from 'hono'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import type { TemplateRegistry } from '../../../templates/registry.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import type { AdminEnv } from './adminEnv.js'

/** GET /v1/admin/templates: every template id with its versions side by side (auditor). */
export function listTemplatesRoute(deps: { verifyAdminKey: AdminKeyVerifier; registry: TemplateRegistry }) {
  return new Hono<AdminEnv>().get(
    '/v1/admin/templates',
    requireAdmin(deps.verifyAdminKey, 'read'),
    async (c) => c.json({ templates: await deps.registry.list() }),
  )
}
