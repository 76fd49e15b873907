import { IntentGateError, UpstreamRpcError } from '../errors/index.js'

/** An upstream ERC-4337 bundler (BUNDLER_URL) spoken to in plain JSON-RPC. */
export type BundlerClient = {
  /**
   * Calls one method and returns its result. A JSON-RPC error of the bundler is thrown as
   * BUNDLER_REJECTED carrying the bundler's own code and message; a bundler that does not
   * answer is DEPENDENCY_UNAVAILABLE.
   */
  request(method: string, params: readonly unknown[]): Promise<unknown>
}

type BundlerAnswer = { result?: unknown; error?: { code?: unknown; message?: unknown } }

/** Builds the bundler client; the URL may carry a key, so it never appears in an error. */
export function createBundlerClient(parameters: {
  url: string
  timeoutMs: number
  /** The outbound guard's fetch, so a BUNDLER_URL resolving to an internal address is refused at connect time. */
  fetchFn?: typeof fetch
}): BundlerClient {
  const { url, timeoutMs, fetchFn = fetch } = parameters
  let nextId = 1
  return {
    async request(method, params) {
      let answer: BundlerAnswer
      try {
        const response = await fetchFn(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
          signal: AbortSignal.timeout(timeoutMs),
        })
        answer = (await response.json()) as BundlerAnswer
      } catch (cause) {
        throw new IntentGateError('DEPENDENCY_UNAVAILABLE', 'The bundler is unavailable', { cause })
      }
      if (answer.error) {
        const code = typeof answer.error.code === 'number' ? answer.error.code : -32_500
        const message = typeof answer.error.message === 'string' ? answer.error.message : 'rejected'
        throw new UpstreamRpcError(code, 'BUNDLER_REJECTED', 'Bundler rejected the user operation', {
          details: message.replace(/https?:\/\/\S+/g, '<url>').slice(0, 500),
        })
      }
      if (!('result' in answer)) {
        throw new IntentGateError('DEPENDENCY_UNAVAILABLE', 'The bundler gave no result')
      }
      return answer.result
    },
  }
}
