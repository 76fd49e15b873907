import { type AbiParameter, getAddress, type Hex, parseAbiItem } from 'viem'
import { decodeCanonicalAbi } from '../intents/canonicalAbi.js'
import { callArguments } from '../intents/intentCall.js'

/** A piece of a rendered description: the template's own words, or an argument of the call. */
export type DescriptionPart = { text: string } | { arg: number; type: string; value: string }

/** A description with its arguments filled in, as one string and as parts a UI can style apart. */
export type RenderedDescription = { text: string; parts: DescriptionPart[] }

const maxStringLength = 64
const maxListItems = 5
const maxTextLength = 1_000
const argumentReference = /\{(\d+)\}/g
// Characters that would let text forge how a line looks: controls (C0, C1), format characters
// (bidi overrides and isolates, zero-width and other invisible ones), line and paragraph separators.
const unsafeCharacters = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu

/**
 * Renders a template's description of a function (`Send {1} base units to {0}`) for a call's
 * data: `{n}` becomes argument n, formatted by its ABI type. Undefined when the data is not the
 * canonical encoding of the signature's arguments. Everything shown is made safe to print: no
 * control, bidi or invisible characters, strings quoted and cut short, long bytes and lists elided.
 */
export function renderDescription(
  template: string,
  signature: string,
  data: Hex,
): RenderedDescription | undefined {
  const inputs = functionInputs(signature)
  if (!inputs || data.length < 10) return undefined
  const args = decodeCanonicalAbi(inputs, callArguments(data))
  if (!args) return undefined

  const parts: DescriptionPart[] = []
  let last = 0
  for (const match of template.matchAll(argumentReference)) {
    const index = Number(match[1])
    const input = inputs[index]
    if (input === undefined) continue
    if (match.index > last) parts.push({ text: safeText(template.slice(last, match.index)) })
    parts.push({ arg: index, type: input.type, value: formatValue(input, args[index]) })
    last = match.index + match[0].length
  }
  if (last < template.length) parts.push({ text: safeText(template.slice(last)) })
  const text = parts.map((part) => ('text' in part ? part.text : part.value)).join('')
  return { text: text.length > maxTextLength ? `${text.slice(0, maxTextLength)}…` : text, parts }
}

/** Escapes every character that could change how text reads, as `\u{…}`. */
export function safeText(text: string): string {
  return text.replace(
    unsafeCharacters,
    (character) => `\\u{${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}}`,
  )
}

function functionInputs(signature: string): readonly AbiParameter[] | undefined {
  try {
    const item = parseAbiItem(`function ${signature}`)
    return item.type === 'function' ? item.inputs : undefined
  } catch {
    return undefined
  }
}

/** One decoded ABI value as display text. Values come from viem's decoder, so their types follow `parameter`. */
function formatValue(parameter: AbiParameter, value: unknown): string {
  const list = /^(.*)\[(\d*)\]$/.exec(parameter.type)
  if (list?.[1] !== undefined && Array.isArray(value)) {
    const item = { ...parameter, type: list[1] }
    const shown = value.slice(0, maxListItems).map((entry) => formatValue(item, entry))
    if (value.length > maxListItems) shown.push(`… ${value.length - maxListItems} more`)
    return `[${shown.join(', ')}]`
  }
  if (parameter.type === 'tuple' && 'components' in parameter) {
    const components = parameter.components
    const fields = components.map((component, index) =>
      formatValue(
        component,
        Array.isArray(value) ? value[index] : (value as Record<string, unknown>)[component.name ?? ''],
      ),
    )
    return `(${fields.join(', ')})`
  }
  if (parameter.type === 'address' && typeof value === 'string') return getAddress(value)
  if (parameter.type === 'string' && typeof value === 'string') {
    const cut =
      [...value].length > maxStringLength ? `${[...value].slice(0, maxStringLength).join('')}…` : value
    return `"${safeText(cut.replace(/["\\]/g, (character) => `\\${character}`))}"`
  }
  if (parameter.type.startsWith('bytes') && typeof value === 'string') return formatBytes(value)
  return safeText(String(value))
}

function formatBytes(value: string): string {
  if (value.length <= 2 + 64) return value
  return `${value.slice(0, 10)}…${value.slice(-8)} (${(value.length - 2) / 2} bytes)`
}
