import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { generateSigningKey } from '../crypto/ed25519.js'
import { communityPollManifest } from './exampleManifest.js'
import { signTemplate } from './signTemplate.js'
import { templateDigest } from './templateDigest.js'

const example = communityPollManifest({
  chainId: 31337,
  expiresAt: '2030-01-01T00:00:00Z',
  poll: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9',
})

const sha256 = (bytes: string | Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** A copy of `value` with the keys of every object reordered by choices drawn from `draw`. */
function shuffleKeys(value: unknown, draw: (max: number) => number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, draw))
  if (typeof value !== 'object' || value === null) return value
  const entries = Object.entries(value)
  for (let index = entries.length - 1; index > 0; index--) {
    const other = draw(index)
    const swapped = entries[other]
    const current = entries[index]
    if (swapped && current) [entries[index], entries[other]] = [swapped, current]
  }
  return Object.fromEntries(entries.map(([key, member]) => [key, shuffleKeys(member, draw)]))
}

describe('templateDigest', () => {
  test('is sha256: and the hex sha256 of the canonical JSON', () => {
    expect(templateDigest({ version: '1.0.0', id: 'poll', chains: [1, 2] })).toBe(
      `sha256:${sha256('{"chains":[1,2],"id":"poll","version":"1.0.0"}')}`,
    )
  })

  test('does not depend on key order or whitespace', () => {
    const digest = templateDigest(example)
    fc.assert(
      fc.property(fc.gen(), (gen) => {
        const shuffled = shuffleKeys(example, (max) => gen(fc.nat, { max }))
        expect(templateDigest(shuffled)).toBe(digest)
        expect(templateDigest(JSON.parse(JSON.stringify(shuffled, null, 2)))).toBe(digest)
      }),
    )
  })

  test('changes with any value', () => {
    const later = { ...example, expiresAt: '2030-01-01T00:00:01Z' }
    expect(templateDigest(later)).not.toBe(templateDigest(example))
  })

  test('is the sha256 of the payload signTemplate signs', () => {
    const envelope = signTemplate(example, [generateSigningKey()])
    expect(templateDigest(example)).toBe(`sha256:${sha256(Buffer.from(envelope.payload, 'base64'))}`)
  })
})
