import { type Hex, parseAbiItem, toFunctionSelector, toFunctionSignature } from 'viem'
import { quote } from './validationIssue.js'

/** A function signature in its canonical form, with its 4-byte selector and argument count. */
export type ParsedFunctionSignature = {
  /** `name(type,type)`: no parameter names, no spaces, aliases expanded (`uint` becomes `uint256`). */
  signature: string
  selector: Hex
  argumentCount: number
}

export type ParseFunctionSignatureResult =
  | ({ ok: true } & ParsedFunctionSignature)
  | { ok: false; message: string }

/**
 * Parses a human-readable function signature such as `vote(uint256)` or `vote(uint256 option)` with
 * viem and returns its canonical form and selector.
 *
 * Modifiers and returns (`donate() payable`, `f() returns (bool)`) are refused rather than dropped:
 * a template author who writes them may believe they constrain something, and they do not. Whether a
 * call may carry value is the business of `maxValueWei` alone.
 */
export function parseFunctionSignature(text: string): ParseFunctionSignatureResult {
  let item: ReturnType<typeof parseAbiItem>
  try {
    item = parseAbiItem(`function ${text}`)
  } catch (error) {
    const detail =
      error instanceof Error && 'metaMessages' in error ? firstMetaMessage(error.metaMessages) : ''
    return { ok: false, message: `${quote(text)} is not a valid function signature${detail}` }
  }
  if (item.type !== 'function')
    return { ok: false, message: `${quote(text)} is not a valid function signature` }
  if (item.outputs.length > 0 || !text.trimEnd().endsWith(')')) {
    return {
      ok: false,
      message: `${quote(text)} is not a valid function signature: write only name(types), without modifiers or returns`,
    }
  }
  return {
    ok: true,
    signature: toFunctionSignature(item),
    selector: toFunctionSelector(item),
    argumentCount: item.inputs.length,
  }
}

function firstMetaMessage(metaMessages: unknown): string {
  if (!Array.isArray(metaMessages) || typeof metaMessages[0] !== 'string') return ''
  return `: ${metaMessages[0].trim().replace(/\.$/, '')}`
}
