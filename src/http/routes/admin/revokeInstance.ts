import { Hono } from 'hono'
import type { RecordAdminAction } from '../../../admin/adminActions.js'
import { revokeInstance } from '../../../admin/operatorActions.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import type { InstanceStore } from '../../../templates/instances.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput, readJson } from '../../readJson.js'
import { type AdminEnv, instanceIdParam, reasonBody } from './adminEnv.js'

/** POST /v1/admin/instances/:id/revoke: every token of the instance stops working at once (operator). */
export function revokeInstanceRoute(deps: {
  verifyAdminKey: AdminKeyVerifier
  instances: InstanceStore
  recordAdminAction: RecordAdminAction
}) {
  return new Hono<AdminEnv>().post(
    '/v1/admin/instances/:id/revoke',
    requireAdmin(deps.verifyAdminKey, 'write'),
    async (c) => {
      const { id } = parseInput(instanceIdParam, c.req.param(), 'path')
      const { reason } = await readJson(c, reasonBody)
      const instance = await revokeInstance(deps, c.var.principal, { id, reason })
      return c.json({ instance })
    },
  )
}
