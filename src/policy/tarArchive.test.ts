import { describe, expect, test } from 'vitest'
import { readTarArchive, TarArchiveError } from './tarArchive.js'

const encoder = new TextEncoder()

type HeaderFields = {
  name: string
  size: number
  type?: string
  prefix?: string
  magic?: string
  checksumDelta?: number
}

/** A ustar header as Go's archive/tar (and so `opa build`) writes it; fields can be spoiled. */
function header(fields: HeaderFields): Uint8Array {
  const block = new Uint8Array(512)
  const put = (offset: number, text: string) => block.set(encoder.encode(text), offset)
  put(0, fields.name)
  put(100, '0000600\0')
  put(108, '0000000\0')
  put(116, '0000000\0')
  put(124, `${fields.size.toString(8).padStart(11, '0')}\0`)
  put(136, '00000000000\0')
  put(156, fields.type ?? '0')
  put(257, fields.magic ?? 'ustar\u000000')
  put(345, fields.prefix ?? '')
  block.fill(0x20, 148, 156)
  const sum = block.reduce((total, byte) => total + byte, 0) + (fields.checksumDelta ?? 0)
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `)
  return block
}

function file(name: string, content: string, fields: Partial<HeaderFields> = {}): Uint8Array[] {
  const data = encoder.encode(content)
  const padded = new Uint8Array(Math.ceil(data.length / 512) * 512)
  padded.set(data)
  return [header({ name, size: data.length, ...fields }), padded]
}

const end = [new Uint8Array(512), new Uint8Array(512)]

function archive(...parts: Uint8Array[][]): Uint8Array {
  const blocks = parts.flat()
  const bytes = new Uint8Array(blocks.reduce((length, block) => length + block.length, 0))
  let offset = 0
  for (const block of blocks) {
    bytes.set(block, offset)
    offset += block.length
  }
  return bytes
}

const read = (bytes: Uint8Array) =>
  readTarArchive(bytes).map(({ name, data }) => ({ name, text: new TextDecoder().decode(data) }))

describe('readTarArchive', () => {
  test('reads regular files and drops the leading / of bundle names', () => {
    const bytes = archive(file('/data.json', '{}'), file('/policy.wasm', 'x'.repeat(700)), end)
    expect(read(bytes)).toEqual([
      { name: 'data.json', text: '{}' },
      { name: 'policy.wasm', text: 'x'.repeat(700) },
    ])
  })

  test('joins the ustar prefix to the name', () => {
    const bytes = archive(file('decision.rego', 'package x', { prefix: 'policies/intentgate' }), end)
    expect(read(bytes)).toEqual([{ name: 'policies/intentgate/decision.rego', text: 'package x' }])
  })

  test('accepts the GNU magic and zero padding after the end marker', () => {
    const bytes = archive(file('a', '1', { magic: 'ustar  \u0000' }), end, [new Uint8Array(9 * 512)])
    expect(read(bytes)).toEqual([{ name: 'a', text: '1' }])
  })

  test('reads an empty archive', () => {
    expect(readTarArchive(archive(end))).toEqual([])
  })

  test.each([
    ['a bad checksum', archive(file('a', '1', { checksumDelta: 1 }), end), 'checksum does not match'],
    ['a directory', archive(file('dir/', '', { type: '5' }), end), 'entry type "5" is not a regular file'],
    [
      'a symbolic link',
      archive(file('link', '', { type: '2' }), end),
      'entry type "2" is not a regular file',
    ],
    ['a pax header', archive(file('PaxHeader/a', '', { type: 'x' }), end), 'entry type "x"'],
    ['a v7 header', archive(file('a', '1', { magic: '\0'.repeat(8) }), end), 'not a ustar header'],
    ['a parent segment', archive(file('../etc/passwd', '1'), end), 'unsafe name "../etc/passwd"'],
    ['a dot segment', archive(file('./a', '1'), end), 'unsafe name "./a"'],
    ['an empty segment', archive(file('a//b', '1'), end), 'unsafe name "a//b"'],
    ['a backslash', archive(file('a\\b', '1'), end), 'unsafe name'],
    ['a repeated name', archive(file('/a', '1'), file('a', '2'), end), 'a: appears twice'],
    ['no end marker', archive(file('a', '1')), 'archive ends without its end marker'],
    ['one end block', archive(file('a', '1'), [new Uint8Array(512)]), 'archive ends without its end marker'],
    [
      'data after the end',
      archive(file('a', '1'), end, file('b', '2')),
      'archive has data after its end marker',
    ],
    [
      'a truncated file',
      archive(file('a', 'x'.repeat(700)), end).subarray(0, 612),
      'a: archive ends inside the file',
    ],
    ['a truncated header', new Uint8Array(100), 'archive ends without its end marker'],
  ])('refuses %s', (_, bytes, message) => {
    expect(() => readTarArchive(bytes)).toThrow(TarArchiveError)
    expect(() => readTarArchive(bytes)).toThrow(message)
  })

  test('refuses a size that is not octal', () => {
    const bad = header({ name: 'a', size: 1 })
    bad.set(encoder.encode('0000000009\0'), 124)
    bad.fill(0x20, 148, 156)
    const sum = bad.reduce((total, byte) => total + byte, 0)
    bad.set(encoder.encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148)
    expect(() => readTarArchive(archive([bad, new Uint8Array(512)], end))).toThrow(
      'a: size is not an octal number',
    )
  })
})
