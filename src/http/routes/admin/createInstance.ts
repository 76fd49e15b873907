import { Hono } from 'hono'
import { z } from 'zod'
import type { RecordAdminAction } from '../../../admin/adminActions.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import type { InstanceStore } from '../../../templates/instances.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { readJson } from '../../readJson.js'
import type { AdminEnv } from './adminEnv.js'

const body = z.strictObject({
  templateDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 hex>'),
  params: z.record(z.string(), z.unknown()).default({}),
  /** Digest of the micro app's module or runtime, when the platform supplies one; carried in the token. */
  att: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 hex>')
    .optional(),
  tokenTtlSeconds: z.number().int().positive().optional(),
})

/** POST /v1/admin/instances: create an app instance from a template digest and params; returns its token (operator). */
export function createInstanceRoute(deps: {
  verifyAdminKey: AdminKeyVerifier
  instances: InstanceStore
  recordAdminAction: RecordAdminAction
}) {
  return new Hono<AdminEnv>().post(
    '/v1/admin/instances',
    requireAdmin(deps.verifyAdminKey, 'write'),
    async (c) => {
      const request = await readJson(c, body)
      const created = await deps.instances.create(request, c.var.principal.name)
      await deps.recordAdminAction({
        actor: c.var.principal,
        action: 'instance.create',
        target: created.instance.id,
        detail: { templateDigest: request.templateDigest, jti: created.tokenClaims.jti },
      })
      return c.json(created, 201)
    },
  )
}
