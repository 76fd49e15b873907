import { parseFunctionSignature } from './functionSignature.js'
import { limitId } from './limitId.js'
import type { TemplateManifest } from './manifest.js'
import type { ParamType } from './paramTypes.js'
import { placeholderName } from './scalarFormats.js'
import { formatPath, type PathSegment, plural, quote, type ValidationIssue } from './validationIssue.js'

const argumentReference = /\{(\d+)\}/g

/**
 * The rules of a manifest that span fields, checked once its shape is valid: placeholders name a
 * declared param of the right type; no call allows one selector twice; a description refers only to
 * arguments its function has; no two calls, token caps or approval thresholds share a target; limit
 * ids are unique.
 */
export function checkManifestReferences(manifest: TemplateManifest): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  const report = (segments: PathSegment[], message: string) => {
    issues.push({ path: formatPath(segments, ''), message })
  }
  const checkPlaceholder = (value: string, expected: ParamType, segments: PathSegment[]) => {
    const name = placeholderName(value)
    if (name === undefined) return
    const declared = Object.hasOwn(manifest.params, name) ? manifest.params[name] : undefined
    if (!declared) report(segments, `placeholder ${value} refers to an undeclared param "${name}"`)
    else if (declared.type !== expected)
      report(
        segments,
        `placeholder ${value} refers to param "${name}" of type ${declared.type}, not ${expected}`,
      )
  }

  const targets = new Map<string, number>()
  manifest.intent.calls.forEach((call, c) => {
    const callPath = ['intent', 'calls', c]
    checkPlaceholder(call.to, 'address', [...callPath, 'to'])
    checkPlaceholder(call.maxValueWei, 'uint256', [...callPath, 'maxValueWei'])
    const earlierCall = targets.get(call.to)
    if (earlierCall === undefined) targets.set(call.to, c)
    else
      report(
        [...callPath, 'to'],
        `${call.to} is already the target of ${formatPath(['intent', 'calls', earlierCall], '')}; list all its functions in one call`,
      )

    const selectors = new Map<string, number>()
    call.functions.forEach((allowed, f) => {
      const functionPath = [...callPath, 'functions', f]
      const parsed = parseFunctionSignature(allowed.signature)
      if (!parsed.ok) return
      const earlier = selectors.get(parsed.selector)
      if (earlier === undefined) selectors.set(parsed.selector, f)
      else
        report(
          [...functionPath, 'signature'],
          `${quote(allowed.signature)} has selector ${parsed.selector}, already allowed by ${formatPath([...callPath, 'functions', earlier], '')}`,
        )
      if (allowed.description !== undefined)
        for (const match of allowed.description.matchAll(argumentReference)) {
          const index = Number(match[1])
          if (index >= parsed.argumentCount)
            report(
              [...functionPath, 'description'],
              `${match[0]} refers to argument ${index}, but ${parsed.signature} takes ${plural(parsed.argumentCount, 'argument')}`,
            )
        }
      if (allowed.maxValueWei !== undefined)
        checkPlaceholder(allowed.maxValueWei, 'uint256', [...functionPath, 'maxValueWei'])
    })
  })

  const tokens = new Map<string, number>()
  manifest.intent.tokenCaps?.forEach((cap, t) => {
    const tokenPath = ['intent', 'tokenCaps', t, 'token']
    checkPlaceholder(cap.token, 'address', tokenPath)
    const earlier = tokens.get(cap.token)
    if (earlier === undefined) tokens.set(cap.token, t)
    else
      report(
        tokenPath,
        `${cap.token} is already capped by ${formatPath(['intent', 'tokenCaps', earlier], '')}`,
      )
  })

  const approvals = manifest.intent.approvals
  if (approvals?.valueAboveWei !== undefined)
    checkPlaceholder(approvals.valueAboveWei, 'uint256', ['intent', 'approvals', 'valueAboveWei'])
  const thresholdTokens = new Map<string, number>()
  approvals?.tokenAmountsAbove?.forEach((threshold, t) => {
    const thresholdPath = ['intent', 'approvals', 'tokenAmountsAbove', t]
    checkPlaceholder(threshold.token, 'address', [...thresholdPath, 'token'])
    checkPlaceholder(threshold.amount, 'uint256', [...thresholdPath, 'amount'])
    const earlier = thresholdTokens.get(threshold.token)
    if (earlier === undefined) thresholdTokens.set(threshold.token, t)
    else
      report(
        [...thresholdPath, 'token'],
        `${threshold.token} already has a threshold at ${formatPath(['intent', 'approvals', 'tokenAmountsAbove', earlier], '')}`,
      )
  })

  const limitIds = new Map<string, number>()
  manifest.intent.limits.forEach((limit, l) => {
    const limitPath = ['intent', 'limits', l]
    checkPlaceholder(limit.max, 'uint256', [...limitPath, 'max'])
    const id = limitId(limit)
    const earlier = limitIds.get(id)
    if (earlier === undefined) limitIds.set(id, l)
    else if (limit.id !== undefined)
      report(
        [...limitPath, 'id'],
        `duplicate limit id "${id}", already used by ${formatPath(['intent', 'limits', earlier], '')}`,
      )
    else
      report(
        limitPath,
        `its derived id "${id}" is already used by ${formatPath(['intent', 'limits', earlier], '')}; give one of them an explicit id`,
      )
  })
  return issues
}
