import { encodeFunctionData, type Hex, parseAbi } from 'viem'
import { describe, expect, test } from 'vitest'
import { renderDescription, safeText } from './renderDescription.js'

const abi = parseAbi([
  'function transfer(address to, uint256 amount)',
  'function post(string text, bool pinned)',
  'function store(bytes blob, bytes32 key, uint256[] ids)',
  'function order((address token, uint256 amount) item)',
])
const alice = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'

describe('renderDescription', () => {
  test('fills {n} with argument n and keeps parts apart for a UI', () => {
    const data = encodeFunctionData({
      abi,
      functionName: 'transfer',
      args: [alice.toLowerCase() as Hex, 5n],
    })
    expect(renderDescription('Send {1} to {0}', 'transfer(address,uint256)', data)).toStrictEqual({
      text: `Send 5 to ${alice}`,
      parts: [
        { text: 'Send ' },
        { arg: 1, type: 'uint256', value: '5' },
        { text: ' to ' },
        { arg: 0, type: 'address', value: alice },
      ],
    })
  })

  test('strings are quoted, cut short and stripped of anything that could forge the line', () => {
    const text = `ok\u202Egnp.exe "quoted" \\ \n${'x'.repeat(100)}`
    const data = encodeFunctionData({ abi, functionName: 'post', args: [text, true] })
    const rendered = renderDescription('Post {0} (pinned: {1})', 'post(string,bool)', data)
    expect(rendered?.text).toBe(
      `Post "ok\\u{202e}gnp.exe \\"quoted\\" \\\\ \\u{000a}${'x'.repeat(41)}…" (pinned: true)`,
    )
    expect(rendered?.text).not.toMatch(/[\u202e\n]/)
  })

  test('long bytes and lists are elided, tuples shown in order', () => {
    const blob = `0x${'ab'.repeat(100)}` as Hex
    const key = `0x${'11'.repeat(32)}` as Hex
    const data = encodeFunctionData({
      abi,
      functionName: 'store',
      args: [blob, key, [1n, 2n, 3n, 4n, 5n, 6n, 7n]],
    })
    expect(renderDescription('{0} {1} {2}', 'store(bytes,bytes32,uint256[])', data)?.text).toBe(
      `0xabababab…abababab (100 bytes) ${key} [1, 2, 3, 4, 5, … 2 more]`,
    )
    const order = encodeFunctionData({ abi, functionName: 'order', args: [{ token: alice, amount: 9n }] })
    expect(renderDescription('Order {0}', 'order((address,uint256))', order)?.text).toBe(
      `Order (${alice}, 9)`,
    )
  })

  test('the template text itself is made safe, and a reference past the arguments stays literal', () => {
    const data = encodeFunctionData({ abi, functionName: 'transfer', args: [alice, 1n] })
    expect(renderDescription('Pay\u200b {1} {7}', 'transfer(address,uint256)', data)?.text).toBe(
      'Pay\\u{200b} 1 {7}',
    )
  })

  test('data that is not the canonical encoding of the signature renders nothing', () => {
    const data = encodeFunctionData({ abi, functionName: 'transfer', args: [alice, 1n] })
    expect(renderDescription('Send {1}', 'transfer(address,uint256)', `${data}00`)).toBeUndefined()
    expect(renderDescription('Send {1}', 'transfer(address,uint256)', '0x')).toBeUndefined()
    expect(renderDescription('Send {1}', 'not a signature', data)).toBeUndefined()
  })

  test('safeText leaves ordinary text, accents and emoji alone', () => {
    expect(safeText('Vote for café ☕ 🗳')).toBe('Vote for café ☕ 🗳')
  })
})
