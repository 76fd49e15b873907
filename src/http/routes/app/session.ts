import { Hono } from 'hono'
import type { AppAuthorizer } from '../../../auth/authorizeApp.js'
import type { RequestContextVariables } from '../../middleware/requestContext.js'
import { type AppVariables, requireApp } from '../../middleware/requireApp.js'

/**
 * GET /v1/session: what the presented capability token stands for — instance, template,
 * capabilities and the resolved intent — after every revocation and kill switch check.
 * A micro app can call it at start to fail early with a clear code.
 */
export function sessionRoute(deps: { authorizer: AppAuthorizer }) {
  return new Hono<{ Variables: RequestContextVariables & AppVariables }>().get(
    '/v1/session',
    requireApp(deps.authorizer),
    (c) => {
      const { claims, instance, template } = c.var.session
      return c.json({
        instance: { id: instance.id, params: instance.params, intent: instance.intent },
        template: { id: template.id, digest: template.digest, verificationLevel: template.verificationLevel },
        capabilities: claims.cap,
        ...(claims.att ? { att: claims.att } : {}),
        tokenExpiresAt: new Date(claims.exp * 1000).toISOString(),
      })
    },
  )
}
