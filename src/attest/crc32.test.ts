import { describe, expect, test } from 'vitest'
import { crc32 } from './crc32.js'

const text = (value: string) => new TextEncoder().encode(value)

describe('crc32', () => {
  test('matches the standard CRC-32 check values', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926)
    expect(crc32(text(''))).toBe(0)
    expect(crc32(text('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339)
    expect(crc32(new Uint8Array(32))).toBe(0x190a55ad)
  })

  test('any single flipped bit changes the checksum', () => {
    const bytes = text('{"payloadType":"application/vnd.in-toto+json"}')
    const original = crc32(bytes)
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = bytes.slice()
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7))
      expect(crc32(flipped)).not.toBe(original)
    }
  })
})
