import { z } from 'zod'
import { parseFunctionSignature } from './functionSignature.js'
import { parseLimitWindow } from './limitWindow.js'
import { checkManifestReferences } from './manifestReferences.js'
import { type ParamType, type ParamValue, paramTypes, paramValueSchemas } from './paramTypes.js'
import {
  addressOrPlaceholder,
  paramNamePattern,
  uint256OrPlaceholder,
  uint256String,
} from './scalarFormats.js'
import {
  issuesFromZod,
  missingFieldMessage,
  quote,
  type TemplateFailure,
  templateFailure,
  unlessMissing,
} from './validationIssue.js'

export const TEMPLATE_SCHEMA = 'intentgate.template/v1'
export const TEMPLATE_PAYLOAD_TYPE = 'application/vnd.intentgate.template+json'

/** Index = level: what each verificationLevel means. */
export const verificationLevelNames = ['draft', 'reviewed', 'audited', 'certified'] as const
export type VerificationLevel = 0 | 1 | 2 | 3

export const capabilities = ['relay:meta-tx', 'sponsor:user-op'] as const
export type Capability = (typeof capabilities)[number]

export const limitScopes = ['sender', 'instance', 'template', 'global'] as const
export type LimitScope = (typeof limitScopes)[number]
export const limitMetrics = ['count', 'valueWei', 'gasWei'] as const
export type LimitMetric = (typeof limitMetrics)[number]

const slugPattern = /^[a-z0-9][a-z0-9-]{0,62}$/
const semverPattern =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$/
const sbomDigestPattern = /^sha256:[0-9a-f]{64}$/

/** A string schema whose wrong-type message says what was expected; a missing field keeps the parse-wide message. */
function text(expected: string) {
  return z.string({ error: unlessMissing(`expected ${expected}`) })
}

const slug = text('a slug').regex(
  slugPattern,
  'expected a slug: lower-case letters, digits and -, at most 63',
)

/** Flags every repeat of an earlier item, at the repeat's own index. */
function noDuplicates<T>(label: string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<T>()
    items.forEach((item, index) => {
      if (seen.has(item))
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `duplicate ${label} ${typeof item === 'string' ? quote(item) : String(item)}`,
        })
      seen.add(item)
    })
  }
}

function paramDeclarationOf<T extends ParamType, V extends z.ZodType<ParamValue>>(type: T, value: V) {
  return z.strictObject({
    type: z.literal(type),
    description: text('a string').max(500).optional(),
    default: value.optional(),
  })
}

const paramDeclaration = z.discriminatedUnion(
  'type',
  [
    paramDeclarationOf('address', paramValueSchemas.address),
    paramDeclarationOf('uint256', paramValueSchemas.uint256),
    paramDeclarationOf('bool', paramValueSchemas.bool),
    paramDeclarationOf('string', paramValueSchemas.string),
    paramDeclarationOf('bytes32', paramValueSchemas.bytes32),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `expected a type among ${paramTypes.map((type) => `"${type}"`).join(', ')}`
        : undefined,
  },
)

const functionSignature = text('a function signature such as vote(uint256)').transform((value, ctx) => {
  const parsed = parseFunctionSignature(value)
  if (parsed.ok) return parsed.signature
  ctx.addIssue({ code: 'custom', message: parsed.message })
  return z.NEVER
})

const allowedFunction = z.strictObject({
  signature: functionSignature,
  /** Preview text; `{n}` stands for argument n of the call. */
  description: text('a string').max(200).optional(),
  /** Replaces the call's maxValueWei for this function. */
  maxValueWei: uint256OrPlaceholder.optional(),
})

const allowedCall = z.strictObject({
  to: addressOrPlaceholder,
  functions: z.array(allowedFunction).min(1, 'list at least one function').max(64),
  maxValueWei: uint256OrPlaceholder.default('0'),
})

const tokenCap = z
  .strictObject({
    token: addressOrPlaceholder,
    maxTransferAmount: uint256String.optional(),
    maxApproveAmount: uint256String.optional(),
  })
  .refine((cap) => cap.maxTransferAmount !== undefined || cap.maxApproveAmount !== undefined, {
    message: 'give maxTransferAmount, maxApproveAmount or both',
  })

const limitWindow = text('a window such as 1d or 12h').superRefine((value, ctx) => {
  const window = parseLimitWindow(value)
  if ('problem' in window) ctx.addIssue({ code: 'custom', message: window.problem })
})

/**
 * A limit counts `metric` per `scope` over `window`, up to `max`. A window `Nd` is N calendar days in
 * UTC with aligned buckets (`1d` resets at every UTC midnight); `Ns`, `Nm` and `Nh` are rolling
 * windows over the last N seconds, minutes or hours. See `WindowKind` in limitWindow.ts.
 */
const limit = z.strictObject({
  /** Names the limit's counters; derived from scope, metric and window when absent. */
  id: slug.optional(),
  scope: z.enum(limitScopes),
  metric: z.enum(limitMetrics),
  window: limitWindow,
  max: uint256OrPlaceholder,
})

/** The most approvals a template may ask for: more distinct operators than a team plausibly has on call. */
export const MAX_APPROVALS_REQUIRED = 10

/**
 * When a request within the template still needs k-of-n operator approval before it is relayed
 * or sponsored: its native value (all calls together) above `valueAboveWei`, or, per token, its
 * ERC-20 transfers or its approvals (each summed over the request) above `amount`. At least one
 * trigger must be given, else the section would hold nothing and look like a control.
 */
const approvalTokenThreshold = z.strictObject({
  token: addressOrPlaceholder,
  amount: uint256OrPlaceholder,
})

const approvals = z
  .strictObject({
    required: z
      .number({ error: unlessMissing('expected a number of approvals') })
      .int('expected a whole number of approvals')
      .min(1, 'at least 1 approval')
      .max(MAX_APPROVALS_REQUIRED, `at most ${MAX_APPROVALS_REQUIRED} approvals`),
    valueAboveWei: uint256OrPlaceholder.optional(),
    tokenAmountsAbove: z.array(approvalTokenThreshold).min(1, 'list at least one token').max(64).optional(),
  })
  .refine((section) => section.valueAboveWei !== undefined || section.tokenAmountsAbove !== undefined, {
    message: 'give valueAboveWei, tokenAmountsAbove or both',
  })

const chainId = z
  .number({ error: unlessMissing('expected a chain id') })
  .int('expected a chain id: a positive integer')
  .positive('expected a chain id: a positive integer')

const intent = z.strictObject({
  chains: z.array(chainId).min(1, 'list at least one chain').max(32).superRefine(noDuplicates('chain')),
  calls: z.array(allowedCall).min(1, 'list at least one call').max(64),
  tokenCaps: z.array(tokenCap).max(64).optional(),
  maxTxValueWei: uint256String.optional(),
  limits: z.array(limit).max(32),
  gas: z.strictObject({
    maxGasLimit: uint256String,
    maxFeePerGasWei: uint256String,
    maxCostWei: uint256String,
  }),
  /** Optional: when the policy holds a request for k-of-n operator approval instead of deciding it. */
  approvals: approvals.optional(),
})

/**
 * The `intentgate.template/v1` manifest. Every object is strict: an unknown field is an error,
 * because a field the gateway ignores is a constraint its author believes in and nobody enforces.
 * Parsing normalizes as it goes: function signatures to `name(types)`, literal addresses to
 * EIP-55 checksums and param defaults to their canonical form. Cross-field rules (placeholders,
 * duplicate selectors, limit ids) are checked after this schema, by {@link parseTemplateManifest}.
 */
export const templateManifestSchema = z.strictObject({
  schema: z.literal(TEMPLATE_SCHEMA, { error: unlessMissing(`expected "${TEMPLATE_SCHEMA}"`) }),
  id: slug,
  version: text('a semantic version').regex(semverPattern, 'expected a semantic version such as 1.0.0'),
  publisher: text('a string').min(1, 'must not be empty').max(200),
  verificationLevel: z.literal([0, 1, 2, 3], {
    error: unlessMissing('expected 0 (draft), 1 (reviewed), 2 (audited) or 3 (certified)'),
  }),
  capabilities: z
    .array(z.enum(capabilities))
    .min(1, 'list at least one capability')
    .superRefine(noDuplicates('capability')),
  params: z
    .record(
      text('a param name').regex(
        paramNamePattern,
        'not a param name: a letter then up to 31 letters, digits or _',
      ),
      paramDeclaration,
    )
    .refine((params) => Object.keys(params).length <= 32, 'at most 32 params'),
  intent,
  sbom: z.strictObject({
    digest: text('a digest').regex(sbomDigestPattern, 'expected sha256: and 64 lower-case hex digits'),
    uri: z
      .url({ error: unlessMissing('expected a URL') })
      .max(2048)
      .optional(),
  }),
  expiresAt: z.iso.datetime({
    error: unlessMissing('expected an ISO 8601 UTC date-time such as 2026-01-01T00:00:00Z'),
  }),
})

/** A parsed and normalized manifest. */
export type TemplateManifest = z.output<typeof templateManifestSchema>
/** A manifest document as it is written and signed, before normalization. */
export type TemplateManifestDocument = z.input<typeof templateManifestSchema>

export type ParseTemplateManifestResult =
  | { ok: true; manifest: TemplateManifest }
  | TemplateFailure<'TEMPLATE_INVALID'>

/**
 * Validates a manifest document (parsed JSON) against `intentgate.template/v1`, then checks the
 * rules that span fields. Never throws: a bad document yields TEMPLATE_INVALID with every issue
 * found and a message naming the first field at fault.
 */
export function parseTemplateManifest(json: unknown): ParseTemplateManifestResult {
  const parsed = templateManifestSchema.safeParse(json, { error: missingFieldMessage })
  if (!parsed.success) return templateFailure('TEMPLATE_INVALID', issuesFromZod(parsed.error, ''))
  const issues = checkManifestReferences(parsed.data)
  if (issues.length > 0) return templateFailure('TEMPLATE_INVALID', issues)
  return { ok: true, manifest: parsed.data }
}
