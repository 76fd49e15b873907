import { z } from 'zod'
import { IntentGateError } from '../errors/index.js'

/** Largest `webhookData` accepted, as JSON text: it is signed into the log with every decision. */
export const MAX_WEBHOOK_DATA_BYTES = 2_048

const contextFields = ['token', 'instanceId', 'webhookData'] as const

/**
 * The ERC-7677 `context` (the fourth param of pm_getPaymasterStubData and pm_getPaymasterData),
 * which permissionless and viem pass as `paymasterContext`. Every field is optional, the context
 * itself may be absent or null, and an unknown field is refused rather than ignored:
 * - `token`: the capability token, for clients that cannot set an Authorization header. When
 *   both are sent they must be the same token.
 * - `instanceId`: the app instance the client means; refused when the token is another's.
 * - `webhookData`: any JSON (at most 2 KiB as text), attested with the decision as `appData`
 *   and otherwise untouched, so an app can tie its own records to the attestation.
 */
export const sponsorContextSchema = z.preprocess(
  (value) => value ?? {},
  z.strictObject(
    {
      token: z.string().min(1).max(8_192).optional(),
      instanceId: z.string().min(1).max(128).optional(),
      webhookData: z
        .json()
        .refine((value) => JSON.stringify(value).length <= MAX_WEBHOOK_DATA_BYTES, {
          message: `webhookData must be at most ${MAX_WEBHOOK_DATA_BYTES} bytes of JSON`,
        })
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown context field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}; a context has ${contextFields.join(', ')}`
          : 'expected a context object',
    },
  ),
)

export type SponsorContext = z.output<typeof sponsorContextSchema>

/**
 * The Authorization header to authenticate with: the header itself, or a bearer header built
 * from `context.token` when there is none. Two different tokens are refused, since it is not
 * clear which instance the caller means.
 */
export function authorizationOf(header: string | undefined, context: SponsorContext): string | undefined {
  if (!context.token) return header
  if (!header) return `Bearer ${context.token}`
  if (header.trim() !== `Bearer ${context.token}`) {
    throw new IntentGateError('INVALID_REQUEST', 'Two different capability tokens', {
      details: 'context.token differs from the Authorization header; send one of them',
    })
  }
  return header
}

/** Refuses a call whose instance hint names another instance than its token. */
export function assertInstanceHint(context: SponsorContext, instanceId: string): void {
  if (context.instanceId !== undefined && context.instanceId !== instanceId) {
    throw new IntentGateError('INVALID_REQUEST', 'Instance hint does not match the token', {
      details: `context.instanceId is ${context.instanceId.slice(0, 128)}, the token is for another instance`,
    })
  }
}
