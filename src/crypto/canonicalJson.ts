/**
 * RFC 8785 (JSON Canonicalization Scheme) serialization.
 *
 * Object keys are sorted by their UTF-16 code units (what `Array.prototype.sort` does by default),
 * strings and numbers are written exactly as ECMAScript's JSON.stringify writes them, and there is
 * no whitespace. Values JSON cannot represent faithfully (undefined, functions, symbols, bigint,
 * NaN, ±Infinity, lone surrogates) are rejected rather than silently changed, because a canonical
 * form that loses information would let two different documents share a digest.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, '$', 0)
}

/**
 * Deeper values are refused with a CanonicalJsonError instead of being walked: the walk recurses,
 * and a RangeError from a blown stack would surface as an internal error rather than as the
 * input's fault. Client JSON is capped well below this at the door (see jsonNesting.ts).
 */
export const maxCanonicalDepth = 512

/** Thrown for a value that has no canonical JSON form; `path` names where it is. */
export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError'
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`)
  }
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function serialize(value: unknown, path: string, depth: number): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, 'not a finite number')
      return JSON.stringify(value)
    case 'string':
      if (loneSurrogate.test(value)) throw new CanonicalJsonError(path, 'string holds a lone surrogate')
      return JSON.stringify(value)
    case 'object':
      if (depth >= maxCanonicalDepth)
        throw new CanonicalJsonError(path, `nested deeper than ${maxCanonicalDepth} levels`)
      if (Array.isArray(value))
        return `[${value.map((item, index) => serialize(item, `${path}[${index}]`, depth + 1)).join(',')}]`
      if (!isPlainObject(value)) throw new CanonicalJsonError(path, 'not a plain object')
      return serializeObject(value, path, depth + 1)
    default:
      throw new CanonicalJsonError(path, `${typeof value} has no JSON form`)
  }
}

function serializeObject(object: Record<string, unknown>, path: string, depth: number): string {
  const members: string[] = []
  for (const key of Object.keys(object).sort()) {
    const member = object[key]
    // JSON.stringify drops undefined members; so do we, so that {a: undefined} and {} agree.
    if (member === undefined) continue
    if (loneSurrogate.test(key)) throw new CanonicalJsonError(path, 'key holds a lone surrogate')
    members.push(`${JSON.stringify(key)}:${serialize(member, `${path}.${key}`, depth)}`)
  }
  return `{${members.join(',')}}`
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}
