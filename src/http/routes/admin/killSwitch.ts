import { Hono } from 'hono'
import { z } from 'zod'
import type { RecordAdminAction } from '../../../admin/adminActions.js'
import { engageKillSwitch, releaseKillSwitch } from '../../../admin/operatorActions.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import type { KillSwitch } from '../../../killSwitch/killSwitch.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { readJson } from '../../readJson.js'
import type { AdminEnv } from './adminEnv.js'

/** A kill switch's scope and target, as the API and the console accept them. */
export const killSwitchTarget = z.discriminatedUnion('scope', [
  z.strictObject({ scope: z.literal('global') }),
  z.strictObject({
    scope: z.literal('template'),
    target: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a template id'),
  }),
  z.strictObject({
    scope: z.literal('instance'),
    target: z.string().regex(/^inst_[A-Za-z0-9_-]{16}$/, 'an instance id'),
  }),
  z.strictObject({ scope: z.literal('chain'), target: z.string().regex(/^[1-9]\d{0,18}$/, 'a chain id') }),
])
const engageBody = z.intersection(killSwitchTarget, z.object({ reason: z.string().trim().min(3).max(500) }))

type Deps = { verifyAdminKey: AdminKeyVerifier; killSwitch: KillSwitch; recordAdminAction: RecordAdminAction }

/**
 * The kill switch: GET lists engaged switches (auditor); POST engages one and DELETE releases one
 * (operator). Every gateway process sees a change within a second.
 */
export function killSwitchRoute(deps: Deps) {
  return new Hono<AdminEnv>()
    .get('/v1/admin/kill-switch', requireAdmin(deps.verifyAdminKey, 'read'), async (c) =>
      c.json({ engaged: await deps.killSwitch.list() }),
    )
    .post('/v1/admin/kill-switch', requireAdmin(deps.verifyAdminKey, 'write'), async (c) => {
      const request = await readJson(c, engageBody)
      const entry = await engageKillSwitch(deps, c.var.principal, request)
      return c.json({ engaged: entry }, 201)
    })
    .delete('/v1/admin/kill-switch', requireAdmin(deps.verifyAdminKey, 'write'), async (c) => {
      const request = await readJson(c, killSwitchTarget)
      return c.json({ released: await releaseKillSwitch(deps, c.var.principal, request) })
    })
}
