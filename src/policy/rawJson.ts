/**
 * A JSON value as written: numbers keep their literal text (`1.0` stays `1.0`), objects keep
 * their keys in a Map. OPA hashes bundle JSON files over a serialization that writes numbers
 * as they appear in the file, which JSON.parse cannot reproduce.
 */
export type RawJson = null | boolean | string | RawJsonNumber | RawJson[] | RawJsonObject

export class RawJsonNumber {
  constructor(readonly text: string) {}
}

export class RawJsonObject {
  constructor(readonly members: ReadonlyMap<string, RawJson>) {}
}

/** Raised for text that is not one strict RFC 8259 JSON value. */
export class RawJsonError extends Error {
  override readonly name = 'RawJsonError'
}

/** Nesting beyond this is refused rather than risking the stack on a hostile document. */
const maxDepth = 256

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const escapes: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
}

/**
 * Parses one JSON value strictly: no trailing commas, comments or byte order mark, no raw
 * control characters in strings, and, beyond RFC 8259, no repeated keys and no unpaired
 * surrogate escapes, since other parsers resolve those differently and a signed file must
 * mean one thing.
 */
export function parseRawJson(text: string): RawJson {
  let position = 0

  const fail = (message: string): never => {
    throw new RawJsonError(`${message} at offset ${position}`)
  }
  const skipWhitespace = () => {
    while (position < text.length && ' \t\n\r'.includes(text.charAt(position))) position++
  }
  const expect = (literal: string) => {
    if (!text.startsWith(literal, position)) fail(`expected ${literal}`)
    position += literal.length
  }

  const parseString = (): string => {
    expect('"')
    let result = ''
    while (true) {
      if (position >= text.length) fail('unterminated string')
      const char = text.charAt(position)
      const code = char.charCodeAt(0)
      if (char === '"') {
        position++
        break
      }
      if (code < 0x20) fail('control character in string')
      if (char !== '\\') {
        result += char
        position++
        continue
      }
      const escaped = text.charAt(position + 1)
      if (escaped === 'u') {
        const hex = text.slice(position + 2, position + 6)
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape')
        result += String.fromCharCode(Number.parseInt(hex, 16))
        position += 6
      } else {
        const replacement = escapes[escaped]
        if (replacement === undefined) fail('invalid escape')
        result += replacement
        position += 2
      }
    }
    if (loneSurrogate.test(result)) fail('unpaired surrogate in string')
    return result
  }

  const parseValue = (depth: number): RawJson => {
    if (depth > maxDepth) fail('nesting too deep')
    skipWhitespace()
    const char = text.charAt(position)
    if (char === '{') {
      position++
      const members = new Map<string, RawJson>()
      skipWhitespace()
      if (text.charAt(position) === '}') {
        position++
        return new RawJsonObject(members)
      }
      while (true) {
        skipWhitespace()
        const key = parseString()
        if (members.has(key)) fail(`repeated key ${JSON.stringify(key)}`)
        skipWhitespace()
        expect(':')
        members.set(key, parseValue(depth + 1))
        skipWhitespace()
        if (text.charAt(position) === ',') {
          position++
          continue
        }
        expect('}')
        return new RawJsonObject(members)
      }
    }
    if (char === '[') {
      position++
      const items: RawJson[] = []
      skipWhitespace()
      if (text.charAt(position) === ']') {
        position++
        return items
      }
      while (true) {
        items.push(parseValue(depth + 1))
        skipWhitespace()
        if (text.charAt(position) === ',') {
          position++
          continue
        }
        expect(']')
        return items
      }
    }
    if (char === '"') return parseString()
    for (const [literal, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(literal, position)) {
        position += literal.length
        return value
      }
    }
    numberPattern.lastIndex = position
    const match = numberPattern.exec(text)
    if (match === null) return fail('expected a JSON value')
    position += match[0].length
    return new RawJsonNumber(match[0])
  }

  const value = parseValue(0)
  skipWhitespace()
  if (position !== text.length) fail('unexpected text after the JSON value')
  return value
}

/**
 * The text OPA hashes for a structured bundle file (bundle/hash.go in OPA): objects as `{`,
 * keys in byte order each as `"key":value`, `,` between, `}`; arrays as `[` items `,` `]`;
 * primitives as Go's encoding/json writes them without HTML escaping. That writer differs from
 * JSON.stringify only in also escaping U+2028 and U+2029, and numbers keep their literal text.
 */
export function opaHashText(value: RawJson): string {
  if (value === null) return 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'string') return goJsonString(value)
  if (value instanceof RawJsonNumber) return value.text
  if (Array.isArray(value)) return `[${value.map(opaHashText).join(',')}]`
  const keys = [...value.members.keys()].sort(compareUtf8)
  return `{${keys.map((key) => `${goJsonString(key)}:${opaHashText(value.members.get(key) ?? null)}`).join(',')}}`
}

function goJsonString(value: string): string {
  return JSON.stringify(value)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

const encoder = new TextEncoder()

/** Go sorts map keys as byte strings; JavaScript's default sort compares UTF-16 code units. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(encoder.encode(a), encoder.encode(b))
}
