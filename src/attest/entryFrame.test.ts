import { describe, expect, test } from 'vitest'
import { encodeFrame, type FrameScan, scanFrames } from './entryFrame.js'

const text = (value: string) => new TextEncoder().encode(value)
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts))
const max = 1024

function scan(bytes: Uint8Array): { entries: string[]; result: FrameScan } {
  const entries: string[] = []
  const result = scanFrames(bytes, max, (entry) => entries.push(Buffer.from(entry).toString()))
  return { entries, result }
}

describe('encodeFrame', () => {
  test('is a big-endian length, a big-endian CRC-32, then the bytes', () => {
    expect(Buffer.from(encodeFrame(text('123456789'))).toString('hex')).toBe(
      `00000009cbf43926${Buffer.from('123456789').toString('hex')}`,
    )
    expect(() => encodeFrame(new Uint8Array(0))).toThrow(RangeError)
  })
})

describe('scanFrames', () => {
  const a = encodeFrame(text('alpha'))
  const b = encodeFrame(text('bravo!'))
  const c = encodeFrame(text('charlie'))
  const whole = concat(a, b, c)

  test('reads every whole frame in order', () => {
    expect(scan(whole)).toStrictEqual({
      entries: ['alpha', 'bravo!', 'charlie'],
      result: { frames: 3, validEnd: whole.length },
    })
    expect(scan(new Uint8Array(0)).result).toStrictEqual({ frames: 0, validEnd: 0 })
  })

  test.each([
    ['a header cut short', concat(a, b, c.subarray(0, 5)), 'partial-header'],
    ['a body cut short', concat(a, b, c.subarray(0, 11)), 'partial-body'],
    ['a last frame whose checksum fails', concat(a, b, c.slice(0, -1), text('X')), 'crc-mismatch'],
    ['zeros to the end', concat(a, b, new Uint8Array(100)), 'zero-fill'],
    ['text with an impossible length', concat(a, b, text('garbage!')), 'partial-body'],
  ] as const)('%s is a torn tail after the whole frames', (_, bytes, kind) => {
    expect(scan(bytes)).toStrictEqual({
      entries: ['alpha', 'bravo!'],
      result: {
        frames: 2,
        validEnd: a.length + b.length,
        defect: { offset: a.length + b.length, kind, torn: true },
      },
    })
  })

  test('a damaged frame followed by whole frames is not torn', () => {
    const damaged = b.slice()
    damaged[10] = 0x21
    expect(scan(concat(a, damaged, c)).result.defect).toStrictEqual({
      offset: a.length,
      kind: 'crc-mismatch',
      torn: false,
    })
  })

  test('a length damaged to reach past the end is not torn when whole frames follow it', () => {
    const damaged = b.slice()
    damaged[3] = 0x60
    expect(scan(concat(a, damaged, c)).result.defect).toStrictEqual({
      offset: a.length,
      kind: 'partial-body',
      torn: false,
    })
  })

  test('a zero length with data after it, or a length over the limit that fits, is damage', () => {
    const zeroLength = concat(new Uint8Array(8), text('data'))
    expect(scan(concat(a, zeroLength)).result.defect).toStrictEqual({
      offset: a.length,
      kind: 'bad-length',
      torn: false,
    })
    const long = new Uint8Array(8 + max + 1)
    new DataView(long.buffer).setUint32(0, max + 1)
    long[20] = 1
    expect(scan(concat(a, long)).result.defect).toStrictEqual({
      offset: a.length,
      kind: 'bad-length',
      torn: false,
    })
  })

  test('a tail longer than any one frame could be is damage', () => {
    const huge = new Uint8Array(8 + max + 50).fill(0x41)
    expect(scan(concat(a, huge)).result.defect).toMatchObject({ kind: 'partial-body', torn: false })
  })
})
