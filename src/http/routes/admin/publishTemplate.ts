import { Hono } from 'hono'
import { z } from 'zod'
import type { RecordAdminAction } from '../../../admin/adminActions.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import type { TemplateRegistry } from '../../../templates/registry.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { readJson } from '../../readJson.js'
import type { AdminEnv } from './adminEnv.js'

// The envelope's own structure is checked by the verifier, which also owns the payload type check.
const body = z.record(z.string(), z.unknown())

/** POST /v1/admin/templates: publish a DSSE-signed template (operator). */
export function publishTemplateRoute(deps: {
  verifyAdminKey: AdminKeyVerifier
  registry: TemplateRegistry
  recordAdminAction: RecordAdminAction
}) {
  return new Hono<AdminEnv>().post(
    '/v1/admin/templates',
    requireAdmin(deps.verifyAdminKey, 'write'),
    async (c) => {
      const envelope = await readJson(c, body)
      const { record, created } = await deps.registry.publish(envelope, c.var.principal.name)
      if (created) {
        await deps.recordAdminAction({
          actor: c.var.principal,
          action: 'template.publish',
          target: record.digest,
          detail: { id: record.id, version: record.version, signers: record.signers },
        })
      }
      const { manifest: _manifest, envelope: _envelope, ...summary } = record
      return c.json({ template: summary, created }, created ? 201 : 200)
    },
  )
}
