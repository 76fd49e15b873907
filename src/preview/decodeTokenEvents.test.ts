import { encodeAbiParameters, type Hex, pad, toEventSelector } from 'viem'
import { describe, expect, test } from 'vitest'
import { decodeTokenEvents } from './decodeTokenEvents.js'

const token = '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707'
const alice = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const bob = '0x90F79bf6EB2c4f870365E785982E1f101E93b906'
const transfer = toEventSelector('Transfer(address,address,uint256)')
const approval = toEventSelector('Approval(address,address,uint256)')
const approvalForAll = toEventSelector('ApprovalForAll(address,address,bool)')
const topic = (address: Hex) => pad(address.toLowerCase() as Hex)
const word = (value: bigint) => encodeAbiParameters([{ type: 'uint256' }], [value])
const log = (topics: Hex[], data: Hex = '0x', address: Hex = token.toLowerCase() as Hex) => ({
  address,
  topics,
  data,
})

describe('decodeTokenEvents', () => {
  test('tells ERC-20 from ERC-721 by the indexed fields, and reads approvals and traced ether', () => {
    const decoded = decodeTokenEvents([
      log([transfer, topic(alice), topic(bob)], word(5n)),
      log([transfer, topic(alice), topic(bob), pad('0x2a')]),
      log([approval, topic(alice), topic(bob)], word(7n)),
      log([approval, topic(alice), topic(bob), pad('0x2a')]),
      log([approvalForAll, topic(alice), topic(bob)], word(1n)),
      log([transfer, topic(alice), topic(bob)], word(9n), '0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'),
    ])
    expect(decoded).toStrictEqual({
      events: [
        { kind: 'transfer', standard: 'erc20', token, from: alice, to: bob, amount: '5' },
        { kind: 'transfer', standard: 'erc721', token, from: alice, to: bob, tokenId: '42' },
        { kind: 'approval', standard: 'erc20', token, owner: alice, spender: bob, amount: '7' },
        { kind: 'approval', standard: 'erc721', token, owner: alice, approved: bob, tokenId: '42' },
        { kind: 'approvalForAll', token, owner: alice, operator: bob, approved: true },
        { kind: 'transfer', standard: 'native', from: alice, to: bob, amount: '9' },
      ],
      otherLogs: 0,
    })
  })

  test('a log in any other shape is counted, not guessed at', () => {
    const dirty = `0x${'ff'.repeat(12)}${alice.slice(2).toLowerCase()}` as Hex
    const decoded = decodeTokenEvents([
      log([toEventSelector('Voted(address,uint256)'), topic(alice), pad('0x01')]),
      log([transfer, dirty, topic(bob)], word(5n)),
      log([transfer, topic(alice), topic(bob)], `${word(5n)}00`),
      log([transfer, topic(alice), topic(bob), pad('0x01')], word(5n)),
      log([transfer, topic(alice)], word(5n)),
      log([approvalForAll, topic(alice), topic(bob)], word(2n)),
      log([]),
    ])
    expect(decoded).toStrictEqual({ events: [], otherLogs: 7 })
  })
})
