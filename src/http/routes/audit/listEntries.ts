import { Hono } from 'hono'
import type { AuditReader } from '../../../audit/auditReader.js'
import { entryQuerySchema } from '../../../audit/entryQuery.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput } from '../../readJson.js'
import type { AdminEnv } from '../admin/adminEnv.js'

/**
 * GET /v1/audit/entries: entry summaries in index order, filtered by index range (start inclusive,
 * end exclusive), kind, template, instance, decision, reason code, time (since inclusive, until
 * exclusive), request digest, tx hash or userOpHash; paginated by `cursor` and `limit` (auditor).
 */
export function listEntriesRoute(deps: { verifyAdminKey: AdminKeyVerifier; audit: AuditReader }) {
  return new Hono<AdminEnv>().get(
    '/v1/audit/entries',
    requireAdmin(deps.verifyAdminKey, 'read'),
    async (c) => {
      const { cursor, limit, include, ...filter } = parseInput(entryQuerySchema, c.req.query(), 'query')
      const page = await deps.audit.query(filter, { limit, ...(cursor === undefined ? {} : { cursor }) })
      const entries = include === 'envelope' ? await withEnvelopes(deps.audit, page.entries) : page.entries
      return c.json({ treeSize: deps.audit.size(), entries, next: page.next })
    },
  )
}

async function withEnvelopes(
  audit: AuditReader,
  summaries: Awaited<ReturnType<AuditReader['query']>>['entries'],
) {
  const entries = []
  // One at a time: a page is at most 500 small reads, and parallel opens would only contend.
  for (const summary of summaries)
    entries.push({ ...summary, envelope: (await audit.entry(summary.index)).envelope })
  return entries
}
