import { Hono } from 'hono'
import { z } from 'zod'
import type { AppAuthorizer } from '../../../auth/authorizeApp.js'
import { IntentGateError } from '../../../errors/index.js'
import type { RequestStore } from '../../../requests/requestStore.js'
import type { RequestContextVariables } from '../../middleware/requestContext.js'
import { type AppVariables, requireApp } from '../../middleware/requireApp.js'
import { parseInput } from '../../readJson.js'

const idParam = z.object({
  id: z.string().regex(/^0x[0-9a-f]{64}$/, 'expected a request id (0x and 64 hex digits)'),
})

/**
 * GET /v1/requests/:id: the status of a request of the calling instance, with its decision and
 * attestations. The id is the request digest or, for a sponsored user operation, its userOpHash.
 * Requests of other instances are not found, so ids leak nothing across apps.
 */
export function requestsRoute(deps: {
  authorizer: AppAuthorizer
  requests: RequestStore
  findByUserOpHash?: (userOpHash: string) => Promise<string | undefined>
}) {
  return new Hono<{ Variables: RequestContextVariables & AppVariables }>().get(
    '/v1/requests/:id',
    requireApp(deps.authorizer),
    async (c) => {
      const { id } = parseInput(idParam, c.req.param(), 'path')
      const byHash = await deps.findByUserOpHash?.(id)
      const record = await deps.requests.get(byHash ?? id)
      if (!record || record.instanceId !== c.var.session.instance.id) {
        throw new IntentGateError('REQUEST_NOT_FOUND', 'No such request', { details: id })
      }
      // The stored answer, the relay job and a held request's nonce claim are the gateway's own bookkeeping.
      const { answer: _answer, ...rest } = record
      const visible: Record<string, unknown> = rest
      delete visible.relayJob
      delete visible.bundleJob
      delete visible.nonceKey
      return c.json(visible)
    },
  )
}
