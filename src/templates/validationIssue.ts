import type { z } from 'zod'
import type { ErrorCode } from '../errors/codes.js'

/** One problem found in a document, at a path such as `intent.calls[0].functions[1].signature`. */
export type ValidationIssue = { path: string; message: string }

/** The failure half of every result in this folder: a catalogue code, a one-line message and every issue. */
export type TemplateFailure<Code extends ErrorCode> = {
  ok: false
  code: Code
  message: string
  issues: ValidationIssue[]
}

/** A path segment: an object key or an array index. */
export type PathSegment = string | number

/**
 * Renders a path the way a reader writes it in JavaScript: `a.b[0].c`, with keys that are not
 * identifiers quoted (`params["my param"]`). An empty path renders as `root`, the document's own label.
 */
export function formatPath(segments: readonly PropertyKey[], root: string): string {
  let text = root
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment))
      text += text === '' ? segment : `.${segment}`
    else text += `[${JSON.stringify(String(segment))}]`
  }
  return text === '' ? '(root)' : text
}

/**
 * Builds a failure whose message is its first issue, so that a client reading only `message` still
 * learns which field to fix; the count of further issues tells it there is more in `issues`.
 */
export function templateFailure<Code extends ErrorCode>(
  code: Code,
  issues: ValidationIssue[],
): TemplateFailure<Code> {
  const [first] = issues
  const headline = first ? `${first.path}: ${first.message}` : 'invalid'
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''
  return { ok: false, code, message: `${headline}${more}`, issues }
}

/**
 * Turns zod issues into validation issues under `root`. An unknown-keys issue becomes one issue per
 * key at that key's own path, so the message names the offending field rather than its parent.
 */
export function issuesFromZod(error: z.ZodError, root: string): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        issues.push({ path: formatPath([...issue.path, key], root), message: 'unknown field' })
    } else if (issue.code === 'invalid_key') {
      issues.push({ path: formatPath(issue.path, root), message: issue.issues[0]?.message ?? issue.message })
    } else {
      issues.push({ path: formatPath(issue.path, root), message: issue.message })
    }
  }
  return issues
}

/**
 * A parse-time error map: zod's default for a missing member ("expected string, received undefined")
 * hides that the field is simply absent.
 */
export function missingFieldMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const missing =
    issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')
  return missing ? 'required field is missing' : undefined
}

/**
 * A schema-level error message for a present but wrong value. A missing value falls through to
 * {@link missingFieldMessage}, so "required field is missing" is said the same way everywhere.
 */
export function unlessMissing(message: string) {
  return (issue: z.core.$ZodRawIssue): string | undefined => (issue.input === undefined ? undefined : message)
}

/** Quotes a value for a message, cut short so a hostile document cannot flood the logs. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value)
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text)
}

/** `1 signature`, `2 signatures`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
