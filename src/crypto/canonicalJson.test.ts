import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { CanonicalJsonError, canonicalJson } from './canonicalJson.js'

/** Rebuilds a JSON value with every object's keys inserted in a shuffled order. */
function shuffleKeys(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, random))
  if (value === null || typeof value !== 'object') return value
  const entries = Object.entries(value).sort(() => random() - 0.5)
  return Object.fromEntries(entries.map(([key, item]) => [key, shuffleKeys(item, random)]))
}

const jsonValue = fc.jsonValue({ maxDepth: 4 })

/** RFC 8785 for values JSON.parse can produce, written as plainly as possible, for comparison. */
function plainCanonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(plainCanonical).join(',')}]`
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  const members = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${members.map(([key, item]) => `${JSON.stringify(key)}:${plainCanonical(item)}`).join(',')}}`
}

describe('canonicalJson', () => {
  test('sorts keys by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const input = {
      '\u20ac': 'Euro',
      '\r': 'CR',
      '\ufb33': 'Hebrew',
      '1': 'One',
      '\ud83d\ude00': 'Smiley',
      '\u0080': 'Ctl',
      ö: 'o',
    }
    expect(canonicalJson(input)).toBe(
      '{"\\r":"CR","1":"One","\u0080":"Ctl","ö":"o","\u20ac":"Euro","\ud83d\ude00":"Smiley","\ufb33":"Hebrew"}',
    )
  })

  test('writes what the plain definition writes, for any JSON value, any Unicode', () => {
    const unicodeJson = fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' })
    fc.assert(
      fc.property(fc.oneof(jsonValue, unicodeJson), (value) => {
        expect(canonicalJson(value)).toBe(plainCanonical(value))
      }),
      { numRuns: 2_000 },
    )
  })

  test('names the path of a failure deep inside arrays and objects, and refuses holes', () => {
    expect(() => canonicalJson({ a: [{ b: [0, { c: undefined, d: [Symbol()] }] }] })).toThrow(
      new CanonicalJsonError('$.a[0].b[1].d[0]', 'symbol has no JSON form'),
    )
    expect(() => canonicalJson({ k: { '\udc00': 1 } })).toThrow('$.k: key holds a lone surrogate')
    const holey: unknown[] = [1]
    holey[2] = 3
    expect(() => canonicalJson(holey)).toThrow('$[1]: undefined has no JSON form')
  })

  test('writes numbers as ECMAScript does and drops whitespace', () => {
    expect(canonicalJson({ b: [1e21, 1e-7, -0, 0.1, 100, 333333333.3333333] })).toBe(
      '{"b":[1e+21,1e-7,0,0.1,100,333333333.3333333]}',
    )
    expect(canonicalJson({ nested: { z: null, a: [true, false, 'x\n"'] } })).toBe(
      '{"nested":{"a":[true,false,"x\\n\\""],"z":null}}',
    )
  })

  test('rejects what JSON cannot carry faithfully, naming the path', () => {
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(
      new CanonicalJsonError('$.a[1]', 'not a finite number'),
    )
    expect(() => canonicalJson({ n: 1n })).toThrow('$.n: bigint has no JSON form')
    expect(() => canonicalJson({ d: new Date(0) })).toThrow('$.d: not a plain object')
    expect(() => canonicalJson({ s: '\ud800' })).toThrow('$.s: string holds a lone surrogate')
  })

  test('is stable under key order', () => {
    fc.assert(
      fc.property(jsonValue, fc.integer(), (value, seed) => {
        let state = seed
        const random = () => {
          state = (state * 1103515245 + 12345) & 0x7fffffff
          return state / 0x7fffffff
        }
        expect(canonicalJson(shuffleKeys(value, random))).toBe(canonicalJson(value))
      }),
    )
  })

  test('refuses a value nested 10,000 deep with a CanonicalJsonError, not a stack overflow', () => {
    const deep: unknown = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)
    expect(() => canonicalJson(deep)).toThrow(CanonicalJsonError)
    expect(() => canonicalJson({ a: deep })).toThrow(/nested deeper than 512 levels/)
    const justInside: unknown = JSON.parse(`${'['.repeat(512)}${']'.repeat(512)}`)
    expect(canonicalJson(justInside)).toBe(`${'['.repeat(512)}${']'.repeat(512)}`)
  })

  test('round-trips: parsing the canonical form gives the same value, and canonicalizing again is a no-op', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const text = canonicalJson(value)
        const parsed: unknown = JSON.parse(text)
        expect(parsed).toStrictEqual(JSON.parse(JSON.stringify(value)))
        expect(canonicalJson(parsed)).toBe(text)
      }),
    )
  })
})
