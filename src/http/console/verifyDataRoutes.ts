import { Hono } from 'hono'
import { z } from 'zod'
import type { AuditReader } from '../../audit/auditReader.js'
import { treeIndexSchema } from '../../audit/entryQuery.js'
import { IntentGateError } from '../../errors/index.js'
import { parseInput } from '../readJson.js'
import { base64Hash } from '../routes/audit/auditJson.js'
import type { ConsoleEnv } from './consoleEnv.js'
import { requireConsole } from './consoleSecurity.js'

/**
 * The raw material the browser verifies an entry with, for a console session (the auditor API
 * wants an admin key, which a browser session does not hold): the entry's exact bytes as logged,
 * the covering checkpoint's signed note as text, an inclusion proof for a given tree size, and
 * the public keys. Nothing here is decoded or vouched for: that is the browser's job.
 */
export function verifyDataRoutes(deps: { audit: AuditReader }) {
  const entryIndex = (param: unknown) => {
    const { index } = parseInput(z.strictObject({ index: treeIndexSchema }), param, 'path')
    if (index >= deps.audit.size())
      throw new IntentGateError('LOG_ENTRY_NOT_FOUND', 'No such log entry', {
        details: `the log holds ${deps.audit.size()} entries`,
      })
    return index
  }
  return new Hono<ConsoleEnv>()
    .get('/console/api/log/keys', requireConsole('read'), (c) => c.json(deps.audit.keys()))
    .get('/console/api/log/checkpoint', requireConsole('read'), async (c) =>
      c.text((await deps.audit.coveringCheckpoint()).note),
    )
    .get('/console/api/entries/:index/raw', requireConsole('read'), async (c) => {
      const bytes = await deps.audit.entryBytes(entryIndex(c.req.param()))
      return c.body(bytes.slice().buffer, 200, { 'Content-Type': 'application/octet-stream' })
    })
    .get('/console/api/entries/:index/proof', requireConsole('read'), (c) => {
      const index = entryIndex(c.req.param())
      const { treeSize } = parseInput(z.object({ treeSize: treeIndexSchema }), c.req.query(), 'query')
      if (treeSize <= index || treeSize > deps.audit.size())
        throw new IntentGateError('INVALID_REQUEST', 'No such tree size for this entry', {
          details: `treeSize must be above ${index} and at most ${deps.audit.size()}`,
        })
      return c.json({ index, treeSize, proof: deps.audit.inclusionProof(index, treeSize).map(base64Hash) })
    })
}
