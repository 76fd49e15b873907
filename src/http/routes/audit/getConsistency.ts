import { Hono } from 'hono'
import { z } from 'zod'
import type { AuditReader } from '../../../audit/auditReader.js'
import { treeIndexSchema } from '../../../audit/entryQuery.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { IntentGateError } from '../../../errors/index.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput } from '../../readJson.js'
import type { AdminEnv } from '../admin/adminEnv.js'
import { base64Hash, checkpointJson } from './auditJson.js'

const consistencyQuery = z.strictObject({ first: treeIndexSchema, second: treeIndexSchema.optional() })

/**
 * GET /v1/audit/consistency?first&second: the RFC 9162 consistency proof from the tree of `first`
 * entries to that of `second` (by default the size of the latest checkpoint, which covers every entry), with both roots (auditor).
 */
export function getConsistencyRoute(deps: { verifyAdminKey: AdminKeyVerifier; audit: AuditReader }) {
  return new Hono<AdminEnv>().get(
    '/v1/audit/consistency',
    requireAdmin(deps.verifyAdminKey, 'read'),
    async (c) => {
      const query = parseInput(consistencyQuery, c.req.query(), 'query')
      const latest = await deps.audit.coveringCheckpoint()
      const second = query.second ?? latest.size
      const size = deps.audit.size()
      if (query.first > second || second > size)
        throw new IntentGateError('INVALID_REQUEST', 'Invalid query', {
          details: `need first <= second <= ${size}, the size of the log`,
          reasons: [
            { code: 'INVALID_FIELD', message: `query: first ${query.first}, second ${second}, log ${size}` },
          ],
        })
      return c.json({
        first: query.first,
        second,
        firstRoot: base64Hash(deps.audit.rootAt(query.first)),
        secondRoot: base64Hash(deps.audit.rootAt(second)),
        proof: deps.audit.consistencyProof(query.first, second).map(base64Hash),
        ...(second === latest.size ? { checkpoint: checkpointJson(latest) } : {}),
      })
    },
  )
}
