/**
 * RFC 8785 (JSON Canonicalization Scheme) serialization.
 *
 * Object keys are sorted by their UTF-16 code units (what `Array.prototype.sort` does by default),
 * strings and numbers are written exactly as ECMAScript's JSON.stringify writes them, and there is
 * no whitespace. Values JSON cannot represent faithfully (undefined, functions, symbols, bigint,
 * NaN, ±Infinity, lone surrogates, holes in an array) are rejected rather than silently changed,
 * because a canonical form that loses information would let two different documents share a
 * digest.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, [])
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

const anySurrogate = /[\uD800-\uDFFF]/
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * The walk runs on every attestation signed, so it builds nothing it may not need: the path of
 * the value being written is a stack of keys and indexes, turned into text (`$.a[1]`) only for
 * an error, and the output is one string grown in place.
 */
type Path = (string | number)[]

function serialize(value: unknown, path: Path): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw failure(path, 'not a finite number')
      return JSON.stringify(value)
    case 'string':
      if (anySurrogate.test(value) && loneSurrogate.test(value))
        throw failure(path, 'string holds a lone surrogate')
      return JSON.stringify(value)
    case 'object':
      if (path.length >= maxCanonicalDepth)
        throw failure(path, `nested deeper than ${maxCanonicalDepth} levels`)
      if (Array.isArray(value)) return serializeArray(value, path)
      if (!isPlainObject(value)) throw failure(path, 'not a plain object')
      return serializeObject(value, path)
    default:
      throw failure(path, `${typeof value} has no JSON form`)
  }
}

function serializeArray(array: readonly unknown[], path: Path): string {
  let text = '['
  for (let index = 0; index < array.length; index++) {
    if (index > 0) text += ','
    path.push(index)
    text += serialize(array[index], path)
    path.pop()
  }
  return `${text}]`
}

function serializeObject(object: Record<string, unknown>, path: Path): string {
  let text = '{'
  for (const key of Object.keys(object).sort()) {
    const member = object[key]
    // JSON.stringify drops undefined members; so do we, so that {a: undefined} and {} agree.
    if (member === undefined) continue
    if (anySurrogate.test(key) && loneSurrogate.test(key)) throw failure(path, 'key holds a lone surrogate')
    if (text.length > 1) text += ','
    path.push(key)
    text += `${JSON.stringify(key)}:${serialize(member, path)}`
    path.pop()
  }
  return `${text}}`
}

function failure(path: Path, reason: string): CanonicalJsonError {
  const where = path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('')
  return new CanonicalJsonError(`$${where}`, reason)
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}
