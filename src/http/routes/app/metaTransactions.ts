import { Hono } from 'hono'
import type { AppAuthorizer } from '../../../auth/authorizeApp.js'
import { forwardRequestBodySchema } from '../../../intents/forwardRequest.js'
import type { PipelineDeps } from '../../../pipeline/pipelineDeps.js'
import { submitMetaTransaction } from '../../../pipeline/submitMetaTransaction.js'
import type { RequestContextVariables } from '../../middleware/requestContext.js'
import { readJson } from '../../readJson.js'

/**
 * POST /v1/meta-transactions: an ERC2771Forwarder ForwardRequestData plus chainId. Answers 202
 * {id, status, attestation}, or the documented error with reasons and the attestation.
 */
export function metaTransactionsRoute(deps: { authorizer: AppAuthorizer; pipeline: PipelineDeps }) {
  return new Hono<{ Variables: RequestContextVariables }>().post('/v1/meta-transactions', async (c) => {
    // Only the token itself is checked up front; its revocable state is part of the attested decision.
    const claims = deps.authorizer.authenticate(c.req.header('authorization'))
    const body = await readJson(c, forwardRequestBodySchema)
    const answer = await submitMetaTransaction(deps.pipeline, { claims, body })
    return c.json(answer.body, answer.status)
  })
}
