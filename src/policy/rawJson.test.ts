import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { opaHashText, parseRawJson, RawJsonError, RawJsonNumber, RawJsonObject } from './rawJson.js'

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe('parseRawJson', () => {
  test('keeps number literals as written', () => {
    expect(parseRawJson('[1.0, -0, 1e3, 12345678901234567890123]')).toEqual([
      new RawJsonNumber('1.0'),
      new RawJsonNumber('-0'),
      new RawJsonNumber('1e3'),
      new RawJsonNumber('12345678901234567890123'),
    ])
  })

  test('reads objects, strings with escapes, literals and whitespace', () => {
    const parsed = parseRawJson(' {"a": [true, false, null], "b\\u00e9": "x\\ny\\"\\/\\ud83d\\ude00"}\n')
    expect(parsed).toEqual(
      new RawJsonObject(
        new Map<string, unknown>([
          ['a', [true, false, null]],
          ['bé', 'x\ny"/😀'],
        ]) as RawJsonObject['members'],
      ),
    )
  })

  test.each([
    ['a trailing comma', '[1,]'],
    ['a comment', '{"a": 1 /* no */}'],
    ['a leading zero', '01'],
    ['a bare decimal point', '1.'],
    ['a repeated key', '{"a": 1, "a": 2}'],
    ['an unpaired surrogate', '"\\ud800"'],
    ['a raw control character', '"a\tb"'],
    ['an unknown escape', '"\\x41"'],
    ['a short unicode escape', '"\\u12"'],
    ['text after the value', '{} {}'],
    ['a byte order mark', '\ufeff{}'],
    ['nothing', ''],
    ['an unterminated string', '"abc'],
    ['single quotes', "{'a': 1}"],
    ['nesting too deep', `${'['.repeat(300)}${']'.repeat(300)}`],
  ])('refuses %s', (_, text) => {
    expect(() => parseRawJson(text)).toThrow(RawJsonError)
  })
})

describe('opaHashText', () => {
  // Vectors from files opa v1.22.2 signed: the hashes its .signatures.json listed for them.
  test('reproduces the hash opa signed for a data.json', () => {
    const text = '{"intentgate":{"config":{"a":1.0,"b":"x\\u2028y"}}}'
    expect(sha256(opaHashText(parseRawJson(text)))).toBe(
      '61bd32b3f93b3018d077b9030291ec7da647b80e91406b36ddc5cd0f9b0fa753',
    )
  })

  test('reproduces the hash opa signed for a .manifest', () => {
    const text =
      '{"revision":"rev-1","roots":[""],"wasm":[{"entrypoint":"intentgate/decision","module":"/policy.wasm"}],"rego_version":1}'
    expect(sha256(opaHashText(parseRawJson(text)))).toBe(
      'b7ec465ff7a7410ab3f6626e54a422f6f60b69659ed4dda8b70cb4d5d2b2c104',
    )
  })

  test('ignores whitespace and key order, keeps number text', () => {
    expect(opaHashText(parseRawJson('{ "b" : [ 1.50 , {"d":null,"c":true} ], "a": "<&>" }'))).toBe(
      '{"a":"<&>","b":[1.50,{"c":true,"d":null}]}',
    )
  })

  test('sorts keys by their UTF-8 bytes, as Go does', () => {
    // UTF-16 code units put the emoji (surrogate 0xD83D) before U+FF5E; UTF-8 bytes put
    // U+FF5E (0xEF ...) before the emoji (0xF0 ...).
    expect(opaHashText(parseRawJson('{"😀":1,"～":2}'))).toBe('{"～":2,"😀":1}')
  })

  test('escapes as Go does: control characters, U+2028 and U+2029, and no HTML escaping', () => {
    expect(opaHashText('\b\f\n\r\t\u0001\u007f\u2028\u2029<>&"\\')).toBe(
      '"\\b\\f\\n\\r\\t\\u0001\u007f\\u2028\\u2029<>&\\"\\\\"',
    )
  })

  test('writes what it reads for canonical JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value)
        expect(parseRawJson(opaHashText(parseRawJson(text)))).toEqual(parseRawJson(text))
      }),
    )
  })
})
