import type { Context } from 'hono'
import type { z } from 'zod'
import { jsonNestsDeeperThan, maxJsonNesting } from '../crypto/jsonNesting.js'
import { IntentGateError } from '../errors/index.js'

/**
 * Reads the body as JSON and validates it. A wrong content type is 415, unparsable JSON and
 * schema failures are 400 INVALID_REQUEST, with one reason per problem naming its field. JSON that
 * nests deeper than `maxJsonNesting` is 400 too, before it is parsed.
 */
export async function readJson<Schema extends z.ZodType>(
  c: Context,
  schema: Schema,
): Promise<z.output<Schema>> {
  const contentType = c.req.header('content-type') ?? ''
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw new IntentGateError('UNSUPPORTED_MEDIA_TYPE', 'Body must be application/json')
  }
  const text = await c.req.text()
  if (jsonNestsDeeperThan(text, maxJsonNesting)) {
    throw new IntentGateError('INVALID_REQUEST', 'Body is not valid JSON', {
      details: `nested deeper than ${maxJsonNesting} levels`,
    })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new IntentGateError('INVALID_REQUEST', 'Body is not valid JSON')
  }
  return parseInput(schema, value, 'body')
}

/** Validates any client input (body, query, params) into the documented error on failure. */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  where: string,
): z.output<Schema> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const reasons = result.error.issues.slice(0, 20).map((issue) => ({
    code: 'INVALID_FIELD',
    message: `${[where, ...issue.path.map(String)].join('.')}: ${issue.message}`,
  }))
  throw new IntentGateError('INVALID_REQUEST', `Invalid ${where}`, {
    details: reasons[0]?.message,
    reasons,
  })
}
