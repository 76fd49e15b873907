import type { MiddlewareHandler } from 'hono'
import {
  type AdminAccess,
  type AdminKeyVerifier,
  type AdminPrincipal,
  roleAllows,
} from '../../auth/adminKeys.js'
import { bearerToken } from '../../auth/capabilityToken.js'
import { IntentGateError } from '../../errors/index.js'

export type AdminVariables = { principal: AdminPrincipal }

/**
 * Admits an admin API key (`Authorization: Bearer igk_…`) whose role allows `access`:
 * auditors read, operators read and write.
 */
export function requireAdmin(
  verifyAdminKey: AdminKeyVerifier,
  access: AdminAccess,
): MiddlewareHandler<{ Variables: AdminVariables }> {
  return async function requireAdminMiddleware(c, next) {
    const bearer = bearerToken(c.req.header('authorization'))
    const verified = verifyAdminKey(bearer.ok ? bearer.token : undefined)
    if (!verified.ok) throw new IntentGateError(verified.code, verified.message)
    if (!roleAllows(verified.principal.role, access)) {
      throw new IntentGateError('FORBIDDEN', `Role ${verified.principal.role} cannot ${access}`, {
        reasons: [
          {
            code: 'ROLE_REQUIRED',
            message: `this needs the ${access === 'write' ? 'operator' : 'auditor'} role`,
          },
        ],
      })
    }
    c.set('principal', verified.principal)
    await next()
  }
}
