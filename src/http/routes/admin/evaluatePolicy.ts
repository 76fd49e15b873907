import { Hono } from 'hono'
import { z } from 'zod'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { forwardRequestBodySchema } from '../../../intents/forwardRequest.js'
import { intentSchema } from '../../../intents/intent.js'
import { type DryRunDeps, evaluateDryRun } from '../../../pipeline/evaluateDryRun.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { readJson } from '../../readJson.js'
import type { AdminEnv } from './adminEnv.js'

const common = {
  instanceId: z.string().regex(/^inst_[A-Za-z0-9_-]{16}$/, 'expected an instance id'),
  now: z.number().int().min(0).optional(),
}
/** A dry run's body: an instance and a meta-transaction or an Intent; the console's playground reads the same. */
export const evaluateBody = z.union([
  z.strictObject({ ...common, metaTransaction: forwardRequestBodySchema }),
  z.strictObject({ ...common, intent: intentSchema }),
])

/**
 * POST /v1/policy/evaluate: the operator's dry run of the pipeline for an instance, with a
 * meta-transaction or an Intent. No counters, no log, no record (operator).
 */
export function evaluatePolicyRoute(deps: { verifyAdminKey: AdminKeyVerifier; dryRun: DryRunDeps }) {
  return new Hono<AdminEnv>().post(
    '/v1/policy/evaluate',
    requireAdmin(deps.verifyAdminKey, 'write'),
    async (c) => {
      const request = await readJson(c, evaluateBody)
      return c.json(await evaluateDryRun(deps.dryRun, request))
    },
  )
}
