import { describe, expect, test } from 'vitest'
import { createFailpoint, parseFailpoints } from './failpoints.js'

describe('failpoints', () => {
  test('FAILPOINTS parses to armed points; empty is inert, and a typo stops boot', () => {
    expect(parseFailpoints('')).toStrictEqual(new Map())
    expect(parseFailpoints('after-attest:3, after-reserve')).toStrictEqual(
      new Map([
        ['after-attest', 3],
        ['after-reserve', 1],
      ]),
    )
    expect(() => parseFailpoints('after-atest:1')).toThrow('expected name:n')
    expect(() => parseFailpoints('after-attest:0')).toThrow('expected name:n')
    expect(createFailpoint(new Map())).toBeUndefined()
  })

  test('an armed point fires once, on its n-th hit, and no other point fires', () => {
    const fired: string[] = []
    const failpoint = createFailpoint(parseFailpoints('after-record:2'), (name) => fired.push(name))
    for (const name of [
      'after-attest',
      'after-record',
      'after-attest',
      'after-record',
      'after-record',
    ] as const)
      failpoint?.(name)
    expect(fired).toStrictEqual(['after-record'])
  })
})
