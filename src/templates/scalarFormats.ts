import { type Address, getAddress, type Hex, isAddress } from 'viem'
import { z } from 'zod'
import { quote, unlessMissing } from './validationIssue.js'

/**
 * The scalar formats a template manifest and instance params are written in. Big numbers are
 * decimal strings, never JSON numbers, because a JSON number above 2^53 silently loses digits.
 */

export const MAX_UINT256 = 2n ** 256n - 1n

/** `{{name}}`: a reference to an instance param, resolved when an instance is created. */
export type Placeholder = `{{${string}}}`

export const paramNamePattern = /^[a-zA-Z][a-zA-Z0-9_]{0,31}$/

const decimalPattern = /^(0|[1-9]\d*)$/
const bytes32Pattern = /^0x[0-9a-fA-F]{64}$/

/** Why `value` is not a canonical uint256 decimal string, or undefined when it is one. */
export function uint256Problem(value: string): string | undefined {
  if (!decimalPattern.test(value)) {
    return /^\d+$/.test(value)
      ? `${quote(value)} is not a uint256: leading zeros are not allowed`
      : `${quote(value)} is not a uint256: expected a decimal string of digits`
  }
  // 78 digits is the length of 2^256 - 1; anything longer is too big without parsing it.
  if (value.length > 78 || BigInt(value) > MAX_UINT256)
    return `${quote(value)} is not a uint256: above 2^256 - 1`
  return undefined
}

/**
 * Why `value` is not an address, or undefined when it is one. As in EIP-55, all-lower and all-upper
 * hex carry no checksum; mixed case must be a correct checksum, which catches a mistyped digit.
 */
export function addressProblem(value: string): string | undefined {
  if (!isAddress(value, { strict: false }))
    return `${quote(value)} is not an address: expected 0x and 40 hex digits`
  const hex = value.slice(2)
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase() || isAddress(value, { strict: true }))
    return undefined
  return `${quote(value)} is not an address: its mixed-case EIP-55 checksum is wrong`
}

/** Why `value` is not 0x and 64 hex digits, or undefined when it is. */
export function bytes32Problem(value: string): string | undefined {
  return bytes32Pattern.test(value)
    ? undefined
    : `${quote(value)} is not a bytes32: expected 0x and 64 hex digits`
}

/**
 * The param name a `{{name}}` placeholder refers to, or undefined when `value` is not wrapped in double
 * braces. The name is not checked here: `{{}}` yields '' so that it is reported as a bad placeholder.
 */
export function placeholderName(value: string): string | undefined {
  return value.startsWith('{{') && value.endsWith('}}') && value.length >= 4 ? value.slice(2, -2) : undefined
}

function placeholderProblem(value: string, name: string): string | undefined {
  return paramNamePattern.test(name)
    ? undefined
    : `${quote(value)} is not a valid placeholder: a param name is a letter followed by up to 31 letters, digits or _`
}

function expectedString(what: string) {
  return z.string({ error: unlessMissing(`expected ${what}`) })
}

/** A uint256 as a canonical decimal string. */
export const uint256String = expectedString('a uint256 as a decimal string').superRefine((value, ctx) => {
  const problem = uint256Problem(value)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})

/** A uint256 decimal string or a `{{param}}` placeholder naming a uint256 param. */
export const uint256OrPlaceholder = expectedString('a uint256 decimal string or a {{param}} placeholder')
  .superRefine((value, ctx) => {
    const name = placeholderName(value)
    const problem = name === undefined ? uint256Problem(value) : placeholderProblem(value, name)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
  .transform((value) => value as string | Placeholder)

/** An address, returned EIP-55 checksummed. */
export const addressString = expectedString('an address as a 0x string').transform((value, ctx): Address => {
  const problem = addressProblem(value)
  if (!problem) return getAddress(value)
  ctx.addIssue({ code: 'custom', message: problem })
  return z.NEVER
})

/** An address (returned checksummed) or a `{{param}}` placeholder naming an address param. */
export const addressOrPlaceholder = expectedString('an address or a {{param}} placeholder').transform(
  (value, ctx): Address | Placeholder => {
    const name = placeholderName(value)
    const problem = name === undefined ? addressProblem(value) : placeholderProblem(value, name)
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem })
      return z.NEVER
    }
    return name === undefined ? getAddress(value) : (value as Placeholder)
  },
)

/** 32 bytes as 0x and 64 hex digits, returned lower-case so equal values compare equal. */
export const bytes32String = expectedString('a bytes32 as a 0x string').transform((value, ctx): Hex => {
  const problem = bytes32Problem(value)
  if (!problem) return value.toLowerCase() as Hex
  ctx.addIssue({ code: 'custom', message: problem })
  return z.NEVER
})
