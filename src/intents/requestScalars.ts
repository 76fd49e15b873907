import { type Address, getAddress, type Hex, isAddress } from 'viem'
import { z } from 'zod'

/**
 * Field schemas for the scalars clients send in request bodies and JSON-RPC params. Each one
 * names what it expected, so a client learns which field to fix and how.
 */

const decimalDigits = /^\d+$/
const canonicalDecimal = /^(0|[1-9]\d*)$/
const hexQuantity = /^0x[0-9a-fA-F]+$/
const hexBytes = /^0x(?:[0-9a-fA-F]{2})*$/

function maxUint(bits: number): bigint {
  return 2n ** BigInt(bits) - 1n
}

/** The wrong-type message, except for a missing field, which says so. */
function expected(what: string) {
  return (issue: { input: unknown }) => (issue.input === undefined ? 'required' : `expected ${what}`)
}

function decimalProblem(text: string, bits: number): string | undefined {
  if (!canonicalDecimal.test(text)) {
    return decimalDigits.test(text)
      ? `"${text}" has leading zeros`
      : `"${text}" is not a decimal integer string of digits`
  }
  // A uint256 has at most 78 digits; a longer string is too big without parsing it.
  if (text.length > 78 || BigInt(text) > maxUint(bits)) return `"${text}" is above the uint${bits} maximum`
  return undefined
}

function checkedDecimal(text: string, bits: number, ctx: z.RefinementCtx): bigint {
  const problem = decimalProblem(text, bits)
  if (problem === undefined) return BigInt(text)
  ctx.addIssue({ code: 'custom', message: problem })
  return z.NEVER
}

/** A uint of `bits` bits as a decimal string such as "1000", without leading zeros. */
export function decimalUint(bits: number) {
  return z
    .string({ error: expected(`a uint${bits} as a decimal string such as "1000"`) })
    .transform((text, ctx) => checkedDecimal(text, bits, ctx))
}

/**
 * A uint of `bits` bits as a decimal string or as a JSON integer. Integers above 2^53 - 1 are
 * refused rather than rounded: JSON parsers silently lose their low digits.
 */
export function decimalOrSafeIntegerUint(bits: number) {
  return z
    .union([z.string(), z.number()], {
      error: expected(`a uint${bits} as a decimal string or a JSON integer`),
    })
    .transform((input, ctx) => {
      if (typeof input === 'string') return checkedDecimal(input, bits, ctx)
      if (!Number.isSafeInteger(input) || input < 0) {
        ctx.addIssue({
          code: 'custom',
          message: `${input} is not a non-negative safe integer; send large numbers as decimal strings`,
        })
        return z.NEVER
      }
      const value = BigInt(input)
      if (value <= maxUint(bits)) return value
      ctx.addIssue({ code: 'custom', message: `${input} is above the uint${bits} maximum` })
      return z.NEVER
    })
}

/** A JSON-RPC quantity such as "0x1a" that fits in `bits` bits. */
export function hexUint(bits: number) {
  return z
    .string({ error: expected(`a uint${bits} as a hex quantity such as "0x1a"`) })
    .transform((text, ctx) => {
      if (!hexQuantity.test(text)) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a hex quantity such as "0x1a"` })
        return z.NEVER
      }
      // 0x and 64 significant digits is the most a uint256 needs; stop longer inputs before BigInt.
      const digits = text.slice(2).replace(/^0+/, '')
      if (digits.length > 64 || BigInt(text) > maxUint(bits)) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is above the uint${bits} maximum` })
        return z.NEVER
      }
      return BigInt(text)
    })
}

/** A 20-byte hex address in any letter case; the output is EIP-55 checksummed. */
export const addressField = z
  .string({ error: expected('an address: 0x and 40 hex digits') })
  .refine((text) => isAddress(text, { strict: false }), {
    error: (issue) => `"${String(issue.input)}" is not an address: expected 0x and 40 hex digits`,
  })
  .transform((text): Address => getAddress(text))

/** Hex bytes: 0x and an even number of hex digits, lower-cased on output. */
export const hexBytesField = z
  .string({ error: expected('hex bytes: 0x and an even number of hex digits') })
  .refine((text) => hexBytes.test(text), {
    error: (issue) =>
      `"${abbreviate(issue.input)}" is not hex bytes: expected 0x and an even number of hex digits`,
  })
  .transform((text) => text.toLowerCase() as Hex)

/** Exactly `length` bytes of hex, lower-cased on output. */
export function fixedHexBytes(length: number, what: string) {
  const pattern = new RegExp(`^0x[0-9a-fA-F]{${length * 2}}$`)
  return z
    .string({ error: expected(`${what}: 0x and ${length * 2} hex digits`) })
    .refine((text) => pattern.test(text), {
      error: (issue) => {
        const text = String(issue.input)
        const got = hexBytes.test(text) ? `${(text.length - 2) / 2} bytes` : `"${abbreviate(text)}"`
        return `expected ${what}: 0x and ${length * 2} hex digits (${length} bytes), got ${got}`
      },
    })
    .transform((text) => text.toLowerCase() as Hex)
}

/** Keeps messages short when a client sends kilobytes of bad hex. */
function abbreviate(input: unknown): string {
  const text = String(input)
  return text.length > 80 ? `${text.slice(0, 40)}…${text.slice(-8)} (${text.length} characters)` : text
}
