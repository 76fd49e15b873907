import { type Address, getAddress, type Hex, toEventSelector } from 'viem'

/** A token movement or permission the simulated call would cause. Amounts and ids are decimal. */
export type TokenEvent =
  | { kind: 'transfer'; standard: 'erc20'; token: Address; from: Address; to: Address; amount: string }
  | { kind: 'transfer'; standard: 'erc721'; token: Address; from: Address; to: Address; tokenId: string }
  /** Ether moved inside the call, as the node's transfer tracing reports it. */
  | { kind: 'transfer'; standard: 'native'; from: Address; to: Address; amount: string }
  | {
      kind: 'approval'
      standard: 'erc20'
      token: Address
      owner: Address
      spender: Address
      amount: string
    }
  | {
      kind: 'approval'
      standard: 'erc721'
      token: Address
      owner: Address
      approved: Address
      tokenId: string
    }
  | { kind: 'approvalForAll'; token: Address; owner: Address; operator: Address; approved: boolean }

export type DecodedTokenEvents = {
  events: TokenEvent[]
  /** Logs that are none of the above, or that carry the topic in a shape no standard gives it. */
  otherLogs: number
}

type Log = { address: Address; topics: readonly Hex[]; data: Hex }

// ERC-20 and ERC-721 share these topics; the number of indexed fields tells them apart.
const transferTopic = toEventSelector('Transfer(address,address,uint256)')
const approvalTopic = toEventSelector('Approval(address,address,uint256)')
const approvalForAllTopic = toEventSelector('ApprovalForAll(address,address,bool)')
/** The pseudo-address eth_simulateV1's `traceTransfers` emits ether transfers from. */
const nativeTransferAddress = '0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'

/**
 * Reads ERC-20 and ERC-721 `Transfer` and `Approval`, `ApprovalForAll`, and traced ether transfers
 * out of a call's logs, in order. A log is read by its exact shape (topic count, word-sized data,
 * clean address words) or not at all: a contract can emit anything, and a half-guessed event would
 * show a user something that is not there. The emitter is always the `token`.
 */
export function decodeTokenEvents(logs: readonly Log[]): DecodedTokenEvents {
  const events: TokenEvent[] = []
  let otherLogs = 0
  for (const log of logs) {
    const event = decodeLog(log)
    if (event) events.push(event)
    else otherLogs++
  }
  return { events, otherLogs }
}

function decodeLog(log: Log): TokenEvent | undefined {
  const [topic, first, second, third] = log.topics.map((entry) => entry.toLowerCase() as Hex)
  if (!topic || !first || !second) return undefined
  const from = topicAddress(first)
  const to = topicAddress(second)
  if (!from || !to) return undefined
  const token = getAddress(log.address)
  const word = log.topics.length === 3 ? dataWord(log.data) : undefined

  if (topic === transferTopic) {
    if (log.address.toLowerCase() === nativeTransferAddress) {
      return word === undefined ? undefined : { kind: 'transfer', standard: 'native', from, to, amount: word }
    }
    if (log.topics.length === 3 && word !== undefined)
      return { kind: 'transfer', standard: 'erc20', token, from, to, amount: word }
    if (log.topics.length === 4 && third && log.data === '0x')
      return { kind: 'transfer', standard: 'erc721', token, from, to, tokenId: BigInt(third).toString() }
    return undefined
  }
  if (topic === approvalTopic) {
    if (log.topics.length === 3 && word !== undefined)
      return { kind: 'approval', standard: 'erc20', token, owner: from, spender: to, amount: word }
    if (log.topics.length === 4 && third && log.data === '0x')
      return {
        kind: 'approval',
        standard: 'erc721',
        token,
        owner: from,
        approved: to,
        tokenId: BigInt(third).toString(),
      }
    return undefined
  }
  if (topic === approvalForAllTopic && word !== undefined) {
    if (word !== '0' && word !== '1') return undefined
    return { kind: 'approvalForAll', token, owner: from, operator: to, approved: word === '1' }
  }
  return undefined
}

/** The address in an indexed topic, only if the word is a clean (zero-padded) address. */
function topicAddress(topic: Hex): Address | undefined {
  if (!/^0x0{24}[0-9a-f]{40}$/.test(topic)) return undefined
  return getAddress(`0x${topic.slice(26)}`)
}

/** The data as one uint256 word, decimal, only if it is exactly one word. */
function dataWord(data: Hex): string | undefined {
  if (!/^0x[0-9a-fA-F]{64}$/.test(data)) return undefined
  return BigInt(data).toString()
}
