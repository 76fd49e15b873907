import {
  type BaseError,
  ExecutionRevertedError,
  encodeErrorResult,
  FeeCapTooLowError,
  getContractError,
  HttpRequestError,
  InsufficientFundsError,
  InternalRpcError,
  InvalidInputRpcError,
  NonceTooHighError,
  NonceTooLowError,
  RawContractError,
  RpcRequestError,
  TimeoutError,
  TransactionExecutionError,
  TransactionRejectedRpcError,
  UnknownNodeError,
} from 'viem'
import { describe, expect, test } from 'vitest'
import { intentForwarderAbi } from '../chain/artifacts/IntentForwarder.js'
import { classifyRpcError } from './classifyRpcError.js'

const url = 'http://user:secret@rpc.example/key'
const body = { method: 'eth_sendRawTransaction', params: ['0x02f8'] }

/** What viem's http transport throws for a JSON-RPC error answer, wrapped as buildRequest does. */
function rpcFailure(code: number, message: string, data?: unknown): BaseError {
  const request = new RpcRequestError({ body, error: { code, message, data }, url })
  if (code === TransactionRejectedRpcError.code) return new TransactionRejectedRpcError(request)
  if (code === InvalidInputRpcError.code) return new InvalidInputRpcError(request)
  return new InternalRpcError(request)
}

/** sendTransaction's wrapping: a typed node error (when viem knew the message) under TransactionExecutionError. */
function sendTransactionFailure(cause: BaseError): TransactionExecutionError {
  return new TransactionExecutionError(cause, { account: null, nonce: 7 })
}

describe('classifyRpcError: node messages', () => {
  test.each([
    ['geth', -32000, 'already known', 'already-known'],
    ['anvil', -32003, 'transaction already imported', 'already-known'],
    ['nethermind', -32010, 'AlreadyKnown', 'already-known'],
    ['geth', -32000, 'nonce too low: next nonce 5, tx nonce 3', 'nonce-too-low'],
    ['nethermind', -32010, 'OldNonce, Current nonce: 5, nonce of rejected tx: 3', 'nonce-too-low'],
    ['geth', -32000, 'nonce too high', 'nonce-too-high'],
    ['geth', -32000, 'replacement transaction underpriced', 'replacement-underpriced'],
    ['anvil', -32003, 'replacement transaction underpriced', 'replacement-underpriced'],
    ['anvil', -32003, 'Insufficient funds for gas * price + value', 'insufficient-funds'],
    [
      'erigon',
      -32000,
      'insufficient funds for gas * price + value: address 0xab have 0 want 21000',
      'insufficient-funds',
    ],
    [
      'geth',
      -32000,
      'max fee per gas less than block base fee: address 0xab, maxFeePerGas: 1, baseFee: 7',
      'fee-cap-too-low',
    ],
    ['erigon', -32000, 'fee cap less than block base fee', 'fee-cap-too-low'],
  ])('%s %i "%s" is %s', (_client, code, message, kind) => {
    const raw = rpcFailure(code, message)
    expect(classifyRpcError(raw)).toStrictEqual({ kind, detail: message })
    // sendTransaction wraps it again; the answer and the detail stay the same.
    expect(classifyRpcError(sendTransactionFailure(raw))).toStrictEqual({ kind, detail: message })
  })

  test('a duplicate stays already-known although viem files it under NonceTooLowError', () => {
    const raw = rpcFailure(-32003, 'transaction already imported')
    const typed = new NonceTooLowError({ cause: raw, nonce: 7 })
    expect(classifyRpcError(sendTransactionFailure(typed)).kind).toBe('already-known')
  })

  test('falls back to viem typed errors when the wording is unfamiliar', () => {
    const odd = rpcFailure(-32000, 'some client wording')
    expect(classifyRpcError(new NonceTooLowError({ cause: odd })).kind).toBe('nonce-too-low')
    expect(classifyRpcError(new NonceTooHighError({ cause: odd })).kind).toBe('nonce-too-high')
    expect(classifyRpcError(new InsufficientFundsError({ cause: odd })).kind).toBe('insufficient-funds')
    expect(classifyRpcError(new FeeCapTooLowError({ cause: odd })).kind).toBe('fee-cap-too-low')
  })

  test('the detail never carries the RPC URL or the request body', () => {
    const result = classifyRpcError(sendTransactionFailure(rpcFailure(-32000, 'nonce too low')))
    expect(result.detail).not.toContain('secret')
    expect(result.detail).not.toContain('0x02f8')
  })
})

describe('classifyRpcError: transport', () => {
  test('a refused connection under fetch failed', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8545'), { code: 'ECONNREFUSED' })
    const fetchFailed = new TypeError('fetch failed', { cause: refused })
    const error = new HttpRequestError({ body, url, cause: fetchFailed, details: fetchFailed.message })
    expect(classifyRpcError(error)).toStrictEqual({
      kind: 'connection-refused',
      detail: 'connect ECONNREFUSED 127.0.0.1:8545',
    })
    expect(classifyRpcError(sendTransactionFailure(error)).kind).toBe('connection-refused')
  })

  test('a reset connection is unreachable too', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
    expect(classifyRpcError(new HttpRequestError({ body, url, cause: reset })).kind).toBe(
      'connection-refused',
    )
  })

  test("viem's TimeoutError, bare or wrapped", () => {
    const timeout = new TimeoutError({ body, url })
    expect(classifyRpcError(timeout)).toStrictEqual({ kind: 'timeout', detail: 'The request timed out.' })
    expect(classifyRpcError(sendTransactionFailure(timeout)).kind).toBe('timeout')
  })

  test('an HTTP 502 without a known cause is unknown, not a node verdict', () => {
    const gateway = new HttpRequestError({ body, url, status: 502, details: 'Bad Gateway' })
    expect(classifyRpcError(gateway)).toStrictEqual({ kind: 'unknown', detail: 'Bad Gateway' })
  })
})

describe('classifyRpcError: reverts', () => {
  const invalidSigner = encodeErrorResult({
    abi: intentForwarderAbi,
    errorName: 'ERC2771ForwarderInvalidSigner',
    args: ['0x1111111111111111111111111111111111111111', '0x2222222222222222222222222222222222222222'],
  })

  test('code 3 with data, decoded against the ABI given', () => {
    const raw = new RpcRequestError({
      body,
      error: { code: 3, message: 'execution reverted', data: invalidSigner },
      url,
    })
    const result = classifyRpcError(new ExecutionRevertedError({ cause: raw, message: raw.details }), {
      abi: intentForwarderAbi,
    })
    expect(result).toStrictEqual({
      kind: 'execution-reverted',
      detail: 'execution reverted',
      data: invalidSigner,
      decoded: {
        errorName: 'ERC2771ForwarderInvalidSigner',
        args: ['0x1111111111111111111111111111111111111111', '0x2222222222222222222222222222222222222222'],
      },
    })
  })

  test('without the ABI a custom error keeps its raw data; Error(string) still decodes', () => {
    const raw = new RpcRequestError({
      body,
      error: { code: 3, message: 'execution reverted', data: invalidSigner },
      url,
    })
    expect(classifyRpcError(raw)).toMatchObject({
      kind: 'execution-reverted',
      data: invalidSigner,
      decoded: undefined,
    })
    const reason = encodeErrorResult({
      abi: [{ type: 'error', name: 'Error', inputs: [{ name: 'message', type: 'string' }] }],
      errorName: 'Error',
      args: ['closed'],
    })
    const withReason = new RawContractError({ data: reason, message: 'execution reverted: closed' })
    expect(classifyRpcError(withReason)).toMatchObject({
      kind: 'execution-reverted',
      decoded: { errorName: 'Error', args: ['closed'] },
    })
  })

  test("readContract's wrapping (ContractFunctionRevertedError keeps the bytes in raw)", () => {
    const raw = new RpcRequestError({
      body,
      error: { code: 3, message: 'execution reverted', data: invalidSigner },
      url,
    })
    const wrapped = getContractError(raw, { abi: intentForwarderAbi, functionName: 'execute', args: [] })
    expect(classifyRpcError(wrapped)).toMatchObject({ kind: 'execution-reverted', data: invalidSigner })
  })

  test('a revert without data', () => {
    const raw = rpcFailure(-32000, 'execution reverted')
    expect(classifyRpcError(raw)).toStrictEqual({
      kind: 'execution-reverted',
      detail: 'execution reverted',
      data: undefined,
      decoded: undefined,
    })
  })
})

describe('classifyRpcError: anything else', () => {
  test('unrecognised node errors and non-errors are unknown', () => {
    const odd = rpcFailure(-32000, 'intrinsic gas too low')
    expect(classifyRpcError(new UnknownNodeError({ cause: odd }))).toStrictEqual({
      kind: 'unknown',
      detail: 'intrinsic gas too low',
    })
    expect(classifyRpcError('boom')).toStrictEqual({ kind: 'unknown', detail: '' })
    expect(classifyRpcError(undefined)).toStrictEqual({ kind: 'unknown', detail: '' })
  })

  test('a cause cycle does not loop', () => {
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    Object.defineProperty(a, 'cause', { value: b })
    expect(classifyRpcError(b).kind).toBe('unknown')
  })
})
