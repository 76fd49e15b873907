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

const indexParam = z.strictObject({ index: treeIndexSchema })

/**
 * GET /v1/audit/entries/:index: the DSSE envelope, the decoded statement, and an inclusion proof
 * against a checkpoint that covers the entry, which is the latest one (auditor).
 */
export function getEntryRoute(deps: { verifyAdminKey: AdminKeyVerifier; audit: AuditReader }) {
  return new Hono<AdminEnv>().get(
    '/v1/audit/entries/:index',
    requireAdmin(deps.verifyAdminKey, 'read'),
    async (c) => {
      const { index } = parseInput(indexParam, c.req.param(), 'path')
      if (index >= deps.audit.size())
        throw new IntentGateError('LOG_ENTRY_NOT_FOUND', 'No such log entry', {
          details: `the log holds ${deps.audit.size()} entries`,
        })
      const entry = await deps.audit.entry(index)
      const checkpoint = await deps.audit.coveringCheckpoint()
      return c.json({
        index,
        leafHash: base64Hash(entry.leafHash),
        entryDigest: entry.entryDigest,
        summary: entry.summary,
        envelope: entry.envelope,
        statement: entry.statement,
        inclusion: {
          treeSize: checkpoint.size,
          root: base64Hash(checkpoint.root),
          proof: deps.audit.inclusionProof(index, checkpoint.size).map(base64Hash),
        },
        checkpoint: checkpointJson(checkpoint),
      })
    },
  )
}
