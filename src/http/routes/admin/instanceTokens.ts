import { Hono } from 'hono'
import { z } from 'zod'
import type { RecordAdminAction } from '../../../admin/adminActions.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import type { InstanceStore } from '../../../templates/instances.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput, readJson } from '../../readJson.js'
import { type AdminEnv, instanceIdParam } from './adminEnv.js'

const issueBody = z.strictObject({ ttlSeconds: z.number().int().positive().optional() })
const revokeBody = z.strictObject({
  jti: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'expected a token id'),
  reason: z.string().trim().min(3).max(500),
})

type Deps = {
  verifyAdminKey: AdminKeyVerifier
  instances: InstanceStore
  recordAdminAction: RecordAdminAction
}

/**
 * POST /v1/admin/instances/:id/tokens issues another token for an active instance, and
 * POST /v1/admin/tokens/revoke revokes a single token by its jti (operator).
 */
export function instanceTokensRoute(deps: Deps) {
  return new Hono<AdminEnv>()
    .post('/v1/admin/instances/:id/tokens', requireAdmin(deps.verifyAdminKey, 'write'), async (c) => {
      const { id } = parseInput(instanceIdParam, c.req.param(), 'path')
      const { ttlSeconds } = await readJson(c, issueBody)
      const issued = await deps.instances.issueToken(
        id,
        ttlSeconds ? { ttlSeconds } : {},
        c.var.principal.name,
      )
      await deps.recordAdminAction({
        actor: c.var.principal,
        action: 'token.issue',
        target: id,
        detail: { jti: issued.tokenClaims.jti },
      })
      return c.json(issued, 201)
    })
    .post('/v1/admin/tokens/revoke', requireAdmin(deps.verifyAdminKey, 'write'), async (c) => {
      const { jti, reason } = await readJson(c, revokeBody)
      await deps.instances.revokeToken(jti, c.var.principal.name, reason)
      await deps.recordAdminAction({
        actor: c.var.principal,
        action: 'token.revoke',
        target: jti,
        detail: { reason },
      })
      return c.json({ revoked: jti })
    })
}
