import { z } from 'zod'
import { decisionVerdicts, entryKinds } from './entrySummary.js'

/** 0x and 64 hex digits, any case: request digests, tx hashes and userOpHashes. */
export const hash32Schema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected 0x and 64 hex digits')

/** A log index or tree size given as text, as in a query string or a CLI flag. */
export const treeIndexSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,15})$/, 'expected a decimal index with no sign, exponent or leading zero')
  .transform(Number)
  .pipe(z.number().max(Number.MAX_SAFE_INTEGER))

const textFilter = z.string().min(1).max(200).optional()
const timeFilter = z.iso
  .datetime({ offset: true })
  .transform((time) => Date.parse(time))
  .optional()

/**
 * The filters and paging of an entry listing, as text: the query of GET /v1/audit/entries and the
 * flags of `intentgate audit show|export` parse through this one schema, so both mean the same.
 */
export const entryQuerySchema = z.strictObject({
  start: treeIndexSchema.optional(),
  end: treeIndexSchema.optional(),
  kind: z.enum(entryKinds).optional(),
  template: textFilter,
  instance: textFilter,
  decision: z.enum(decisionVerdicts).optional(),
  reason: textFilter,
  since: timeFilter,
  until: timeFilter,
  requestDigest: hash32Schema.optional(),
  txHash: hash32Schema.optional(),
  userOpHash: hash32Schema.optional(),
  cursor: treeIndexSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** `envelope` adds each entry's DSSE envelope, for exports and remote verification. */
  include: z.literal('envelope').optional(),
})

export type EntryQuery = z.output<typeof entryQuerySchema>
