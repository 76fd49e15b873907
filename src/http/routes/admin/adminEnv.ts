import { z } from 'zod'
import type { RequestContextVariables } from '../../middleware/requestContext.js'
import type { AdminVariables } from '../../middleware/requireAdmin.js'

export type AdminEnv = { Variables: RequestContextVariables & AdminVariables }

export const digestParam = z.object({
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 hex>'),
})
export const instanceIdParam = z.object({
  id: z.string().regex(/^inst_[A-Za-z0-9_-]{16}$/, 'expected an instance id'),
})
export const reasonBody = z.strictObject({ reason: z.string().trim().min(3).max(500) })
export const requestIdParam = z.object({
  id: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, 'expected a request id (0x and 64 hex digits)')
    .transform((id) => id.toLowerCase()),
})
