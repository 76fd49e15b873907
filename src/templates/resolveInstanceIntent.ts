import type { Address, Hex } from 'viem'
import { parseFunctionSignature } from './functionSignature.js'
import { limitId } from './limitId.js'
import { parseLimitWindow, type WindowKind } from './limitWindow.js'
import type { LimitMetric, LimitScope, TemplateManifest } from './manifest.js'
import { type ParamValue, paramValueSchemas } from './paramTypes.js'
import { placeholderName } from './scalarFormats.js'
import {
  formatPath,
  issuesFromZod,
  missingFieldMessage,
  type PathSegment,
  type TemplateFailure,
  templateFailure,
  type ValidationIssue,
} from './validationIssue.js'

/**
 * A template's intent with every placeholder replaced by an instance's params. It is plain JSON,
 * numbers above 2^53 as decimal strings, because it is stored with the instance and handed to the
 * Rego policy as is.
 */
export type ResolvedIntent = {
  chains: number[]
  calls: ResolvedCall[]
  tokenCaps: ResolvedTokenCap[]
  /** Cap on the value of all calls of one transaction together. */
  maxTxValueWei?: string
  limits: ResolvedLimit[]
  gas: { maxGasLimit: string; maxFeePerGasWei: string; maxCostWei: string }
  /** When a request needs k-of-n operator approval; absent for templates without the section. */
  approvals?: ResolvedApprovals
}

/** The manifest's approvals section with its placeholders resolved. */
export type ResolvedApprovals = {
  /** How many distinct operators must approve. */
  required: number
  /** Held when the calls together send more native value than this. */
  valueAboveWei?: string
  /** Held when a token's transfers, or its approvals, summed over the request exceed `amount`. */
  tokenAmountsAbove?: { token: Address; amount: string }[]
}

export type ResolvedCall = {
  /** EIP-55 checksummed. */
  to: Address
  /** Cap on the value of one call to `to`, unless the function called sets its own. */
  maxValueWei: string
  functions: ResolvedFunction[]
}

export type ResolvedFunction = {
  /** Canonical `name(types)`. */
  signature: string
  /** 0x and 8 hex digits. */
  selector: Hex
  /** Preview text; `{n}` stands for argument n. */
  description?: string
  /** When present, replaces the call's maxValueWei for calls of this function. */
  maxValueWei?: string
}

/** Amount caps on ERC-20 `transfer`/`transferFrom` and `approve` calls to `token`. */
export type ResolvedTokenCap = { token: Address; maxTransferAmount?: string; maxApproveAmount?: string }

/** See `WindowKind` for how `utc-day` and `rolling` windows count. */
export type ResolvedLimit = {
  id: string
  scope: LimitScope
  metric: LimitMetric
  window: string
  windowKind: WindowKind
  windowSeconds: number
  max: string
}

/** Instance params after validation: every declared param, defaults filled in, values canonical. */
export type InstanceParams = Record<string, ParamValue>

export type ResolveInstanceIntentResult =
  | { ok: true; params: InstanceParams; intent: ResolvedIntent }
  | TemplateFailure<'PARAMS_INVALID'>

/**
 * Validates an instance's params against a parsed template's declarations and resolves the
 * template's intent for that instance. Params are checked by declared type (addresses come back
 * checksummed, uint256 as canonical decimal strings); an undeclared param, a missing param without
 * a default, or params that make two calls or two token caps share a target are PARAMS_INVALID.
 * `params` may be omitted when every param has a default. Never throws for bad params; throws only
 * for a manifest that `parseTemplateManifest` did not produce.
 */
export function resolveInstanceIntent(
  manifest: TemplateManifest,
  params: unknown,
): ResolveInstanceIntentResult {
  const validated = validateParams(manifest, params === undefined ? {} : params)
  if (!validated.ok) return templateFailure('PARAMS_INVALID', validated.issues)
  const values = validated.params
  const issues: ValidationIssue[] = []

  const resolve = (value: string, segments: PathSegment[]): string => {
    const name = placeholderName(value)
    if (name === undefined) return value
    const resolved = Object.hasOwn(values, name) ? values[name] : undefined
    if (typeof resolved !== 'string') notParsed(`${formatPath(segments, '')}: ${value} names no string param`)
    return resolved
  }
  const targetOwners = new Map<string, { segments: PathSegment[]; written: string }>()
  const claimTarget = (kind: string, written: string, resolved: string, segments: PathSegment[]) => {
    const key = `${kind}:${resolved}`
    const earlier = targetOwners.get(key)
    if (!earlier) {
      targetOwners.set(key, { segments, written })
      return
    }
    const name = placeholderName(written) ?? placeholderName(earlier.written)
    issues.push({
      path: name === undefined ? formatPath(segments, '') : formatPath([name], 'params'),
      message: `makes ${formatPath(segments, '')} ${resolved}, the same as ${formatPath(earlier.segments, '')}`,
    })
  }

  const calls = manifest.intent.calls.map((call, c): ResolvedCall => {
    const to = resolve(call.to, ['intent', 'calls', c, 'to']) as Address
    claimTarget('call', call.to, to, ['intent', 'calls', c, 'to'])
    return {
      to,
      maxValueWei: resolve(call.maxValueWei, ['intent', 'calls', c, 'maxValueWei']),
      functions: call.functions.map((allowed, f): ResolvedFunction => {
        const parsed = parseFunctionSignature(allowed.signature)
        if (!parsed.ok) notParsed(parsed.message)
        const maxValueWei = allowed.maxValueWei
        return {
          signature: parsed.signature,
          selector: parsed.selector,
          ...(allowed.description === undefined ? {} : { description: allowed.description }),
          ...(maxValueWei === undefined
            ? {}
            : { maxValueWei: resolve(maxValueWei, ['intent', 'calls', c, 'functions', f, 'maxValueWei']) }),
        }
      }),
    }
  })

  const tokenCaps = (manifest.intent.tokenCaps ?? []).map((cap, t): ResolvedTokenCap => {
    const token = resolve(cap.token, ['intent', 'tokenCaps', t, 'token']) as Address
    claimTarget('token', cap.token, token, ['intent', 'tokenCaps', t, 'token'])
    return {
      token,
      ...(cap.maxTransferAmount === undefined ? {} : { maxTransferAmount: cap.maxTransferAmount }),
      ...(cap.maxApproveAmount === undefined ? {} : { maxApproveAmount: cap.maxApproveAmount }),
    }
  })

  const limits = manifest.intent.limits.map((limit, l): ResolvedLimit => {
    const window = parseLimitWindow(limit.window)
    if ('problem' in window) notParsed(window.problem)
    return {
      id: limitId(limit),
      scope: limit.scope,
      metric: limit.metric,
      window: limit.window,
      windowKind: window.windowKind,
      windowSeconds: window.windowSeconds,
      max: resolve(limit.max, ['intent', 'limits', l, 'max']),
    }
  })

  const approvals = resolveApprovals(manifest.intent.approvals, resolve, claimTarget)

  if (issues.length > 0) return templateFailure('PARAMS_INVALID', issues)
  const { maxTxValueWei, gas } = manifest.intent
  return {
    ok: true,
    params: values,
    intent: {
      chains: [...manifest.intent.chains],
      calls,
      tokenCaps,
      ...(maxTxValueWei === undefined ? {} : { maxTxValueWei }),
      limits,
      gas: { maxGasLimit: gas.maxGasLimit, maxFeePerGasWei: gas.maxFeePerGasWei, maxCostWei: gas.maxCostWei },
      ...(approvals === undefined ? {} : { approvals }),
    },
  }
}

function resolveApprovals(
  section: TemplateManifest['intent']['approvals'],
  resolve: (value: string, segments: PathSegment[]) => string,
  claimTarget: (kind: string, written: string, resolved: string, segments: PathSegment[]) => void,
): ResolvedApprovals | undefined {
  if (section === undefined) return undefined
  const path = ['intent', 'approvals'] as PathSegment[]
  const tokens = section.tokenAmountsAbove?.map((threshold, t) => {
    const tokenPath = [...path, 'tokenAmountsAbove', t, 'token']
    const token = resolve(threshold.token, tokenPath) as Address
    claimTarget('approval-token', threshold.token, token, tokenPath)
    return { token, amount: resolve(threshold.amount, [...path, 'tokenAmountsAbove', t, 'amount']) }
  })
  return {
    required: section.required,
    ...(section.valueAboveWei === undefined
      ? {}
      : { valueAboveWei: resolve(section.valueAboveWei, [...path, 'valueAboveWei']) }),
    ...(tokens === undefined ? {} : { tokenAmountsAbove: tokens }),
  }
}

/**
 * A manifest that did not come from `parseTemplateManifest` is a bug in the caller, not bad input,
 * so it is thrown rather than reported as PARAMS_INVALID.
 */
function notParsed(detail: string): never {
  throw new Error(`resolveInstanceIntent needs a manifest from parseTemplateManifest: ${detail}`)
}

type ValidatedParams = { ok: true; params: InstanceParams } | { ok: false; issues: ValidationIssue[] }

function validateParams(manifest: TemplateManifest, params: unknown): ValidatedParams {
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    return { ok: false, issues: [{ path: 'params', message: 'expected an object of param values' }] }
  const given = params as Record<string, unknown>
  const declared = Object.entries(manifest.params)
  const issues: ValidationIssue[] = []
  for (const name of Object.keys(given)) {
    if (Object.hasOwn(manifest.params, name)) continue
    const known = declared.map(([declaredName]) => declaredName).join(', ')
    issues.push({
      path: formatPath([name], 'params'),
      message:
        known === ''
          ? 'unknown param; the template declares none'
          : `unknown param; the template declares ${known}`,
    })
  }
  const values: InstanceParams = {}
  for (const [name, declaration] of declared) {
    const value = Object.hasOwn(given, name) ? given[name] : undefined
    if (value === undefined) {
      if (declaration.default === undefined)
        issues.push({
          path: formatPath([name], 'params'),
          message: `required ${declaration.type} param is missing`,
        })
      else values[name] = declaration.default
      continue
    }
    const parsed = paramValueSchemas[declaration.type].safeParse(value, { error: missingFieldMessage })
    if (parsed.success) values[name] = parsed.data
    else issues.push(...issuesFromZod(parsed.error, formatPath([name], 'params')))
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, params: values }
}
