import { Hono } from 'hono'
import { z } from 'zod'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { maxReplayDecisions, type ReplayPolicyDeps, replayPolicy } from '../../../pipeline/replayPolicy.js'
import type { PolicyStore } from '../../../policy/policyStore.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput } from '../../readJson.js'
import type { AdminEnv } from './adminEnv.js'
import { readBundleBody } from './policy.js'

/** The path of replays, which carry a bundle and so get the bundle body limit. */
export const policyReplayPath = '/v1/admin/policy/replay'

const replayQuery = z
  .strictObject({
    last: z
      .string()
      .regex(/^[1-9][0-9]{0,5}$/, 'expected a positive decimal count')
      .transform(Number)
      .pipe(z.number().max(maxReplayDecisions))
      .optional(),
    since: z.iso
      .datetime({ offset: true })
      .transform((time) => Date.parse(time))
      .optional(),
    examples: z
      .string()
      .regex(/^[0-9]{1,2}$/, 'expected 0 to 99')
      .transform(Number)
      .optional(),
  })
  .refine((query) => query.last === undefined || query.since === undefined, 'give last or since, not both')

/**
 * POST /v1/admin/policy/replay?last=N|since=T: re-decides logged decisions with a candidate
 * bundle (the signed tar.gz as the body, verified as an upload would be, never activated) and
 * reports the decisions it would change, by reason and template, with examples (operator).
 * Read-only: nothing is reserved, logged or recorded.
 */
export function replayPolicyRoute(
  deps: {
    verifyAdminKey: AdminKeyVerifier
    policies: Pick<PolicyStore, 'loadCandidate'>
  } & ReplayPolicyDeps,
) {
  return new Hono<AdminEnv>().post(
    policyReplayPath,
    requireAdmin(deps.verifyAdminKey, 'write'),
    async (c) => {
      const query = parseInput(replayQuery, c.req.query(), 'query')
      const candidate = await deps.policies.loadCandidate(await readBundleBody(c))
      const report = await replayPolicy(deps, {
        candidate: candidate.policy,
        ...(query.since === undefined
          ? { last: query.last ?? 1000 }
          : { since: query.since, last: maxReplayDecisions }),
        ...(query.examples === undefined ? {} : { examples: query.examples }),
      })
      return c.json({ candidate: { revision: candidate.revision, digest: candidate.digest }, ...report })
    },
  )
}
