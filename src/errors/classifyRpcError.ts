import { type Abi, decodeErrorResult, type Hex, isHex } from 'viem'

/**
 * What a failed node or RPC call means to the relayer. Every raw error from viem goes through
 * {@link classifyRpcError}, so the worker decides retries, nonce reconciliation and fee bumps
 * from this union alone and never parses a message itself.
 *
 * `detail` is the node's own message (never viem's full message, which carries the RPC URL and
 * the request body), so it is safe to log.
 */
export type RpcErrorClass =
  /** The node already holds this exact transaction: it was broadcast before, which is success. */
  | { kind: 'already-known'; detail: string }
  /** The nonce is already used on chain: reconcile the nonce ledger. */
  | { kind: 'nonce-too-low'; detail: string }
  /** The nonce is beyond what the node accepts: a gap below it; reconcile and fill gaps. */
  | { kind: 'nonce-too-high'; detail: string }
  /** A transaction with this nonce is pending and this one does not pay enough more to replace it. */
  | { kind: 'replacement-underpriced'; detail: string }
  /** The relayer key cannot pay gas * maxFeePerGas + value. */
  | { kind: 'insufficient-funds'; detail: string }
  /** maxFeePerGas is below the current block's base fee. */
  | { kind: 'fee-cap-too-low'; detail: string }
  /** The node did not answer in time; the request may or may not have taken effect. */
  | { kind: 'timeout'; detail: string }
  /** The node could not be reached at all (refused, reset, unreachable); nothing took effect. */
  | { kind: 'connection-refused'; detail: string }
  /** The EVM reverted; `data` is the raw revert data, decoded when it matches the ABI given. */
  | {
      kind: 'execution-reverted'
      detail: string
      data: Hex | undefined
      decoded: DecodedRevert | undefined
    }
  | { kind: 'unknown'; detail: string }

export type RpcErrorKind = RpcErrorClass['kind']

/** A revert decoded against the caller's ABI plus Solidity's built-in Error(string) and Panic(uint256). */
export type DecodedRevert = { errorName: string; args: readonly unknown[] }

export type ClassifyRpcErrorOptions = {
  /** Custom errors of the contract called, to decode revert data (for example the forwarder's). */
  abi?: Abi | undefined
}

/** One link of an error's cause chain, reduced to the fields that carry meaning. */
type Link = { name: string; code: unknown; text: string; data: unknown; raw: unknown }

const maxChainDepth = 16

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
])
const timeoutCodes = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT'])

/*
 * Node messages by client, lower-cased. Order matters: "already known" must win over nonce-too-low,
 * because viem files geth's "already known" and Anvil's "transaction already imported" under its
 * NonceTooLowError, yet for a relayer a duplicate broadcast is a success, not a nonce problem.
 *   geth / erigon / reth: "already known", "nonce too low", "nonce too high",
 *     "replacement transaction underpriced", "insufficient funds for gas * price + value",
 *     "max fee per gas less than block base fee"
 *   anvil: "transaction already imported", "Insufficient funds for gas * price + value"
 *   nethermind: "AlreadyKnown", "OldNonce", "NonceGap", "ReplacementNotAllowed", "InsufficientFunds",
 *     "FeeTooLow…"; besu: "NONCE_TOO_LOW", "REPLACEMENT_UNDERPRICED", "TRANSACTION_ALREADY_KNOWN"
 */
const messagePatterns: ReadonlyArray<readonly [Exclude<RpcErrorKind, 'execution-reverted'>, RegExp]> = [
  [
    'already-known',
    /already known|already imported|alreadyknown|transaction_already_known|already in (the )?pool/,
  ],
  [
    'replacement-underpriced',
    /replacement transaction underpriced|replacement_underpriced|replacementnotallowed|replacement fee too low/,
  ],
  ['nonce-too-low', /nonce too low|oldnonce|nonce_too_low|nonce has already been used/],
  ['nonce-too-high', /nonce too high|noncegap|nonce_too_high|incorrect_nonce/],
  [
    'insufficient-funds',
    /insufficient funds|insufficientfunds|exceeds transaction sender account balance|outoffunds/,
  ],
  [
    'fee-cap-too-low',
    /max fee per gas less than block base fee|fee cap less than block base fee|feetoolow|transaction is outdated/,
  ],
]

/*
 * viem's typed errors, for when a message did not match (a client wording not listed above) but
 * viem recognised it anyway. Names, not instanceof: a second copy of viem in node_modules would
 * make instanceof fail silently.
 */
const viemErrorNames: ReadonlyArray<readonly [Exclude<RpcErrorKind, 'execution-reverted'>, string]> = [
  ['nonce-too-low', 'NonceTooLowError'],
  ['nonce-too-high', 'NonceTooHighError'],
  ['insufficient-funds', 'InsufficientFundsError'],
  ['fee-cap-too-low', 'FeeCapTooLowError'],
  ['timeout', 'TimeoutError'],
]

const revertNames = new Set(['ExecutionRevertedError', 'ContractFunctionRevertedError', 'RawContractError'])

/**
 * Classifies anything a viem call threw: walks the `cause` chain (viem's BaseError.walk follows the
 * same links) and looks at error names, error codes and the node's messages.
 */
export function classifyRpcError(error: unknown, options: ClassifyRpcErrorOptions = {}): RpcErrorClass {
  const links = causeChain(error)
  const detail = nodeDetail(links)

  // Transport failures first: their wrappers carry no node message worth matching.
  if (links.some((link) => typeof link.code === 'string' && unreachableCodes.has(link.code))) {
    return { kind: 'connection-refused', detail }
  }
  if (
    links.some(
      (link) =>
        link.name === 'TimeoutError' || (typeof link.code === 'string' && timeoutCodes.has(link.code)),
    )
  ) {
    return { kind: 'timeout', detail }
  }

  const texts = links.map((link) => link.text.toLowerCase())
  for (const [kind, pattern] of messagePatterns) {
    if (texts.some((text) => pattern.test(text))) return { kind, detail }
  }

  if (isRevert(links, texts)) {
    const data = revertData(links)
    return { kind: 'execution-reverted', detail, data, decoded: decodeRevert(data, options.abi) }
  }

  for (const [kind, name] of viemErrorNames) {
    if (links.some((link) => link.name === name)) return { kind, detail }
  }
  if (texts.some((text) => /econnrefused|connection refused/.test(text))) {
    return { kind: 'connection-refused', detail }
  }
  if (texts.some((text) => /timed? ?out/.test(text))) return { kind: 'timeout', detail }
  return { kind: 'unknown', detail }
}

function causeChain(error: unknown): Link[] {
  const links: Link[] = []
  let current: unknown = error
  for (let depth = 0; depth < maxChainDepth && current !== null && typeof current === 'object'; depth++) {
    const record = current as Record<string, unknown>
    links.push({
      name: typeof record.name === 'string' ? record.name : '',
      code: record.code,
      text: linkText(record),
      data: record.data,
      raw: record.raw,
    })
    const next = record.cause
    if (next === current) break
    current = next
  }
  return links
}

/*
 * viem's BaseError repeats its cause's node message in `details` and adds the URL and request body
 * to `message`; plain errors and raw JSON-RPC error objects have only `message`.
 */
function linkText(record: Record<string, unknown>): string {
  if (typeof record.shortMessage === 'string') {
    return typeof record.details === 'string' ? record.details : ''
  }
  return typeof record.message === 'string' ? record.message : ''
}

function nodeDetail(links: Link[]): string {
  for (let index = links.length - 1; index >= 0; index--) {
    const text = links[index]?.text
    if (text) return text
  }
  return ''
}

function isRevert(links: Link[], texts: string[]): boolean {
  // JSON-RPC code 3 is "execution reverted" with data (EIP-1474 as geth and Anvil implement it).
  if (links.some((link) => link.code === 3 || revertNames.has(link.name))) return true
  return texts.some((text) => /execution reverted|reverted|vm exception|invalid opcode/.test(text))
}

function revertData(links: Link[]): Hex | undefined {
  for (const link of links) {
    // ContractFunctionRevertedError keeps the bytes in `raw` and its decoding in `data`.
    if (typeof link.raw === 'string' && isHex(link.raw) && link.raw.length >= 10) return link.raw
    const data = link.data
    if (typeof data === 'string' && isHex(data) && data.length >= 10) return data
    if (data !== null && typeof data === 'object') {
      const nested = (data as { data?: unknown }).data
      if (typeof nested === 'string' && isHex(nested) && nested.length >= 10) return nested
    }
  }
  return undefined
}

function decodeRevert(data: Hex | undefined, abi: Abi | undefined): DecodedRevert | undefined {
  if (data === undefined) return undefined
  try {
    const { errorName, args } = decodeErrorResult({ abi: abi ?? [], data })
    return { errorName, args: args ?? [] }
  } catch {
    // A selector outside the ABI: the raw data is still reported.
    return undefined
  }
}
