/**
 * How deep client JSON may nest. Every document the gateway takes (request bodies, manifests,
 * policy inputs, token segments) is a few levels deep; 64 leaves room for policy inputs and
 * keeps every later recursive walk (canonical JSON, zod, the policy's own JSON reader) far from
 * the stack limit.
 */
export const maxJsonNesting = 64

/**
 * Whether JSON text opens more than `maxDepth` arrays and objects inside one another. One pass
 * over the text, before parsing: JSON.parse itself copes with any depth, but what walks the
 * parsed value afterwards may recurse, so a hostile document is refused at the door rather than
 * allowed to overflow the stack somewhere deeper. Brackets inside strings do not count; text that
 * is not JSON at all is left for the parser to reject.
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (inString) {
      if (code === backslash) index++
      else if (code === quote) inString = false
    } else if (code === quote) {
      inString = true
    } else if (code === openBracket || code === openBrace) {
      depth++
      if (depth > maxDepth) return true
    } else if (code === closeBracket || code === closeBrace) {
      depth--
    }
  }
  return false
}

const backslash = 0x5c
const quote = 0x22
const openBracket = 0x5b
const closeBracket = 0x5d
const openBrace = 0x7b
const closeBrace = 0x7d
