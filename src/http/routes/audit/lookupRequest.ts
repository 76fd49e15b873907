import { type Context, Hono } from 'hono'
import { z } from 'zod'
import type { RequestLookup } from '../../../audit/auditIndex.js'
import type { AuditReader } from '../../../audit/auditReader.js'
import { hash32Schema } from '../../../audit/entryQuery.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { IntentGateError } from '../../../errors/index.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import { parseInput } from '../../readJson.js'
import type { AdminEnv } from '../admin/adminEnv.js'

const hashParam = z.strictObject({ hash: hash32Schema })

/**
 * GET /v1/audit/requests/:hash, /v1/audit/transactions/:hash and /v1/audit/user-operations/:hash:
 * every entry of the request with that digest, or of the request whose outcome recorded that tx
 * hash or userOpHash: its decision and outcomes, in log order (auditor).
 */
export function lookupRequestRoute(deps: { verifyAdminKey: AdminKeyVerifier; audit: AuditReader }) {
  async function answer(c: Context<AdminEnv>, by: (hash: string) => RequestLookup): Promise<Response> {
    const { hash } = parseInput(hashParam, c.req.param(), 'path')
    const entries = await deps.audit.lookup(by(hash.toLowerCase()))
    if (entries.length === 0)
      throw new IntentGateError('LOG_ENTRY_NOT_FOUND', 'No log entry for this hash', { details: hash })
    return c.json({ requestDigests: [...new Set(entries.map((entry) => entry.requestDigest))], entries })
  }
  const read = requireAdmin(deps.verifyAdminKey, 'read')
  return new Hono<AdminEnv>()
    .get('/v1/audit/requests/:hash', read, (c) => answer(c, (hash) => ({ requestDigest: hash })))
    .get('/v1/audit/transactions/:hash', read, (c) => answer(c, (hash) => ({ txHash: hash })))
    .get('/v1/audit/user-operations/:hash', read, (c) => answer(c, (hash) => ({ userOpHash: hash })))
}
