import { Hono } from 'hono'
import { jsonNestsDeeperThan, maxJsonNesting } from '../../crypto/jsonNesting.js'
import { classifyError } from '../../errors/index.js'
import type { RequestContextVariables } from '../middleware/requestContext.js'
import {
  type JsonRpcId,
  type JsonRpcResponse,
  jsonRpcErrorCodes,
  jsonRpcErrorOf,
  jsonRpcRequestSchema,
} from './jsonRpc.js'
import type { RpcCallContext, RpcMethod } from './rpcMethod.js'

/** Most calls one batch may carry; a larger batch is refused whole. */
export const MAX_RPC_BATCH = 20

/**
 * POST /rpc: JSON-RPC 2.0 over HTTP, single calls and batches. Every answer is HTTP 200 with
 * JSON-RPC results and errors, as bundler clients expect; a body that is not JSON is a -32700.
 * Calls of a batch run one after another, so a batch's effects happen in its order.
 */
export function rpcRoute(deps: { methods: readonly RpcMethod[] }) {
  const methods = new Map(deps.methods.map((method) => [method.name, method]))
  return new Hono<{ Variables: RequestContextVariables }>().post('/rpc', async (c) => {
    const context: RpcCallContext = {
      authorization: c.req.header('authorization'),
      requestId: c.var.requestId,
      log: c.var.log,
    }
    let body: unknown
    try {
      const text = await c.req.text()
      // As for every JSON body (see readJson): refused before anything walks it.
      if (jsonNestsDeeperThan(text, maxJsonNesting)) throw new SyntaxError('nested too deep')
      body = JSON.parse(text)
    } catch {
      return c.json(
        failure(null, jsonRpcErrorCodes.parseError, 'Parse error: the body is not JSON', context.requestId),
      )
    }
    if (!Array.isArray(body)) {
      const answer = await answerCall(methods, body, context)
      return answer ? c.json(answer) : c.body(null, 204)
    }
    if (body.length === 0 || body.length > MAX_RPC_BATCH) {
      const message = `Invalid Request: a batch holds 1 to ${MAX_RPC_BATCH} calls, got ${body.length}`
      return c.json(failure(null, jsonRpcErrorCodes.invalidRequest, message, context.requestId))
    }
    const answers: JsonRpcResponse[] = []
    for (const call of body) {
      const answer = await answerCall(methods, call, context)
      if (answer) answers.push(answer)
    }
    return answers.length > 0 ? c.json(answers) : c.body(null, 204)
  })
}

/** Answers one call; undefined for a valid notification (no id), which JSON-RPC answers with nothing. */
async function answerCall(
  methods: ReadonlyMap<string, RpcMethod>,
  raw: unknown,
  context: RpcCallContext,
): Promise<JsonRpcResponse | undefined> {
  const parsed = jsonRpcRequestSchema.safeParse(raw)
  if (!parsed.success) {
    const id = idOf(raw)
    const problem = parsed.error.issues[0]
    const where = problem ? `${problem.path.join('.') || 'call'}: ${problem.message}` : 'not a call'
    return failure(id, jsonRpcErrorCodes.invalidRequest, `Invalid Request: ${where}`, context.requestId)
  }
  const { id, method: name, params } = parsed.data
  const method = methods.get(name)
  if (!method) {
    if (id === undefined) return undefined
    const message = `Method not found: ${name.slice(0, 100)}`
    return failure(id, jsonRpcErrorCodes.methodNotFound, message, context.requestId, 'NOT_FOUND')
  }
  try {
    const result = await method.call(params, context)
    return id === undefined ? undefined : { jsonrpc: '2.0', id, result: result ?? null }
  } catch (error) {
    const classified = classifyError(error)
    if (classified.status >= 500) context.log.error({ err: error, method: name }, classified.shortMessage)
    if (id === undefined) return undefined
    return { jsonrpc: '2.0', id, error: jsonRpcErrorOf(classified, context.requestId) }
  }
}

/**
 * An error of the JSON-RPC frame itself (parse, call shape, method). Like every gateway error it
 * carries a stable code in `data`, so clients match on one field whatever went wrong.
 */
function failure(
  id: JsonRpcId,
  code: number,
  message: string,
  requestId: string,
  stableCode: 'INVALID_REQUEST' | 'NOT_FOUND' = 'INVALID_REQUEST',
): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: { code, message, data: { code: stableCode, requestId } } }
}

/** The id of a malformed call, when it has a usable one, so the client can match the error. */
function idOf(raw: unknown): JsonRpcId {
  if (typeof raw !== 'object' || raw === null || !('id' in raw)) return null
  const { id } = raw as { id: unknown }
  return typeof id === 'string' || typeof id === 'number' ? id : null
}
