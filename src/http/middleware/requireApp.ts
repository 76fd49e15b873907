import type { MiddlewareHandler } from 'hono'
import type { AppAuthorizer, AppSession } from '../../auth/authorizeApp.js'

export type AppVariables = { session: AppSession }

/** Admits a micro app by its capability token, after every revocation and kill switch check. */
export function requireApp(authorizer: AppAuthorizer): MiddlewareHandler<{ Variables: AppVariables }> {
  return async function requireAppMiddleware(c, next) {
    c.set('session', await authorizer.authorize(c.req.header('authorization')))
    await next()
  }
}
