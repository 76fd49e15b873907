import { Hono } from 'hono'
import type { AppAuthorizer } from '../../../auth/authorizeApp.js'
import { forwardRequestBodySchema } from '../../../intents/forwardRequest.js'
import { type PreviewDeps, previewMetaTransaction } from '../../../pipeline/previewMetaTransaction.js'
import type { RequestContextVariables } from '../../middleware/requestContext.js'
import { readJson } from '../../readJson.js'

/** The meta-transaction body, with the signature optional: a UI previews before the user signs. */
const previewBodySchema = forwardRequestBodySchema.partial({ signature: true })

/**
 * POST /v1/preview: a dry run of a meta-transaction for the app's UI — the decision and reasons,
 * each call described by the template, the template's badge and the simulated effects (revert
 * reason, gas, token transfers and approvals). No counters, no signing, no record, no log entry.
 */
export function previewRoute(deps: {
  authorizer: Pick<AppAuthorizer, 'authenticate'>
  preview: PreviewDeps
}) {
  return new Hono<{ Variables: RequestContextVariables }>().post('/v1/preview', async (c) => {
    const claims = deps.authorizer.authenticate(c.req.header('authorization'))
    const body = await readJson(c, previewBodySchema)
    return c.json(await previewMetaTransaction(deps.preview, { claims, body }))
  })
}
