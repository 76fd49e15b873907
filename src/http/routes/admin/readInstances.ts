import { Hono } from 'hono'
import { z } from 'zod'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { IntentGateError } from '../../../errors/index.js'
import type { InstanceStore } from '../../../templates/instances.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput } from '../../readJson.js'
import { type AdminEnv, instanceIdParam } from './adminEnv.js'

const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) })

/** GET /v1/admin/instances (newest first) and GET /v1/admin/instances/:id (auditor). */
export function readInstancesRoute(deps: { verifyAdminKey: AdminKeyVerifier; instances: InstanceStore }) {
  return new Hono<AdminEnv>()
    .get('/v1/admin/instances', requireAdmin(deps.verifyAdminKey, 'read'), async (c) => {
      const { limit } = parseInput(listQuery, c.req.query(), 'query')
      return c.json({ instances: await deps.instances.list({ limit }) })
    })
    .get('/v1/admin/instances/:id', requireAdmin(deps.verifyAdminKey, 'read'), async (c) => {
      const { id } = parseInput(instanceIdParam, c.req.param(), 'path')
      const instance = await deps.instances.get(id)
      if (!instance) throw new IntentGateError('INSTANCE_NOT_FOUND', 'No such instance', { details: id })
      return c.json({ instance })
    })
}
