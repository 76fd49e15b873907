import type { z } from 'zod'
import type { Logger } from '../../observability/logger.js'
import { parseInput } from '../readJson.js'

/** What a method may know of the HTTP request that carried it. */
export type RpcCallContext = {
  /** The Authorization header, for methods that take a capability token from it. */
  authorization: string | undefined
  requestId: string
  log: Logger
}

/** One JSON-RPC method: its name, the schema of its positional params, and its handler. */
export type RpcMethod = {
  name: string
  call(params: unknown, context: RpcCallContext): Promise<unknown>
}

/**
 * Binds a method's params schema to its handler. Params that fail the schema are an
 * INVALID_REQUEST (JSON-RPC -32602), with one reason per problem naming its position.
 */
export function defineRpcMethod<Schema extends z.ZodType>(
  name: string,
  params: Schema,
  handle: (params: z.output<Schema>, context: RpcCallContext) => Promise<unknown>,
): RpcMethod {
  return {
    name,
    call: (raw, context) => handle(parseInput(params, raw ?? [], 'params'), context),
  }
}
