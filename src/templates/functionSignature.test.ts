import { keccak256, slice, toBytes } from 'viem'
import { describe, expect, test } from 'vitest'
import { parseFunctionSignature } from './functionSignature.js'

/** The selector by its definition, independent of viem's ABI parser. */
const selectorOf = (canonical: string) => slice(keccak256(toBytes(canonical)), 0, 4)

describe('parseFunctionSignature', () => {
  test.each([
    ['vote(uint256)', 'vote(uint256)', 1],
    ['vote(uint256 option)', 'vote(uint256)', 1],
    ['vote(uint option)', 'vote(uint256)', 1],
    ['donate()', 'donate()', 0],
    ['transfer(address to, uint256 amount)', 'transfer(address,uint256)', 2],
    ['settle((address,uint256)[] legs, bytes32 ref)', 'settle((address,uint256)[],bytes32)', 2],
  ])('%s is %s with the keccak selector', (text, signature, argumentCount) => {
    expect(parseFunctionSignature(text)).toStrictEqual({
      ok: true,
      signature,
      selector: selectorOf(signature),
      argumentCount,
    })
  })

  test('the well-known selectors come out right', () => {
    expect(selectorOf('vote(uint256)')).toBe('0x0121b93f')
    expect(parseFunctionSignature('vote(uint256)')).toMatchObject({ selector: '0x0121b93f' })
    expect(parseFunctionSignature('transfer(address,uint256)')).toMatchObject({ selector: '0xa9059cbb' })
    expect(parseFunctionSignature('approve(address,uint256)')).toMatchObject({ selector: '0x095ea7b3' })
  })

  test.each([
    [
      'vote(uint257)',
      '"vote(uint257)" is not a valid function signature: Type "uint257" is not a valid ABI type',
    ],
    [
      'vote(Ballot b)',
      '"vote(Ballot b)" is not a valid function signature: Type "Ballot" is not a valid ABI type',
    ],
    ['vote (uint256)', '"vote (uint256)" is not a valid function signature'],
    ['vote(uint256', '"vote(uint256" is not a valid function signature'],
    ['function vote(uint256)', '"function vote(uint256)" is not a valid function signature'],
    [
      'donate() payable',
      '"donate() payable" is not a valid function signature: write only name(types), without modifiers or returns',
    ],
    [
      'votes(uint256) returns (uint256)',
      '"votes(uint256) returns (uint256)" is not a valid function signature: write only name(types), without modifiers or returns',
    ],
  ])('refuses %s', (text, message) => {
    expect(parseFunctionSignature(text)).toStrictEqual({ ok: false, message })
  })
})
