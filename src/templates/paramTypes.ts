import { z } from 'zod'
import { addressString, bytes32String, uint256String } from './scalarFormats.js'
import { unlessMissing } from './validationIssue.js'

/** The types an instance param may have. */
export const paramTypes = ['address', 'uint256', 'bool', 'string', 'bytes32'] as const

export type ParamType = (typeof paramTypes)[number]

/** A param value after validation: addresses checksummed, uint256 as decimal strings, bytes32 lower-case. */
export type ParamValue = string | boolean

export const MAX_STRING_PARAM_LENGTH = 1024

/**
 * One schema per param type, shared by a manifest's `default`s and an instance's params, so a
 * default is valid exactly when the same value given at instance creation would be.
 */
export const paramValueSchemas = {
  address: addressString,
  uint256: uint256String,
  bool: z.boolean({ error: unlessMissing('expected true or false') }),
  string: z
    .string({ error: unlessMissing('expected a string') })
    .max(MAX_STRING_PARAM_LENGTH, `longer than ${MAX_STRING_PARAM_LENGTH} characters`),
  bytes32: bytes32String,
} as const satisfies Record<ParamType, z.ZodType<ParamValue>>
