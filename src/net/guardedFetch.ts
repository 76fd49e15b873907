import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { forbiddenAddressReason, type OutboundPolicy } from './outboundAddress.js'

/** Thrown, before any byte is sent, for a destination the outbound policy refuses. */
export class OutboundAddressError extends Error {
  override name = 'OutboundAddressError'
  readonly code = 'EOUTBOUNDDENIED'
}

/**
 * Pooled connections to destinations that operators or users configure, checked against `policy`
 * at connect time: a host name is resolved once, every address it resolves to is checked, and the
 * connection goes to the checked address. Checking the URL's host before connecting would not do:
 * DNS can answer differently a moment later (rebinding). The guarded fetch and the chain RPC
 * transport each open their own.
 */
export type OutboundConnector = {
  /** The keep-alive pool for http: or https:, whose lookup checks every address. */
  agent(secure: boolean): HttpAgent
  lookup: LookupFunction
  /**
   * Throws OutboundAddressError, before anything is sent, for a URL never fetched: a scheme other
   * than http(s), or an IP literal the policy refuses (Node connects to a literal without a lookup).
   */
  assertAllowed(url: URL): void
}

/** Opens the connection pools of one {@link OutboundConnector}. */
export function createOutboundConnector(policy: OutboundPolicy): OutboundConnector {
  const lookup = guardedLookup(policy)
  // Its own connection pools: Node's global agent would hand out a kept-alive socket that some
  // other code opened to the same host without any check.
  const agents = {
    http: new HttpAgent({ keepAlive: true, lookup }),
    https: new HttpsAgent({ keepAlive: true, lookup }),
  }
  return {
    agent: (secure) => (secure ? agents.https : agents.http),
    lookup,
    assertAllowed(url) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new OutboundAddressError(`${url.protocol} URLs are not fetched`)
      const host = url.hostname.replace(/^\[|\]$/g, '')
      if (isIP(host)) {
        const reason = forbiddenAddressReason(host, policy)
        if (reason) throw new OutboundAddressError(`refusing to connect: ${reason}`)
      }
    },
  }
}

/**
 * A `fetch` for URLs that operators or users configure, which connects only where `policy` allows
 * (see {@link OutboundConnector}). Redirects are not followed. Covers what JSON-RPC over HTTP
 * needs: a method, headers, a string or byte body and an abort signal.
 */
export function createGuardedFetch(policy: OutboundPolicy): typeof fetch {
  const connector = createOutboundConnector(policy)
  return async function guardedFetch(input, init = {}) {
    const url = new URL(input instanceof Request ? input.url : String(input))
    connector.assertAllowed(url)
    const body = init.body
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array))
      throw new TypeError('guardedFetch sends only string or byte bodies')
    const secure = url.protocol === 'https:'
    const send = secure ? httpsRequest : httpRequest
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = send(url, {
        method: init.method ?? 'GET',
        headers: Object.fromEntries(new Headers(init.headers).entries()),
        agent: connector.agent(secure),
        lookup: connector.lookup,
        ...(init.signal ? { signal: init.signal } : {}),
      })
      outgoing.once('response', resolve)
      outgoing.once('error', reject)
      outgoing.end(body ?? undefined)
    })
    const headers = new Headers()
    for (const [name, value] of Object.entries(response.headers)) {
      for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value])
        headers.append(name, item)
    }
    const status = response.statusCode ?? 502
    const noBody = status === 204 || status === 304 || init.method === 'HEAD'
    // Read whole, then handed over as bytes: callers read JSON-RPC answers whole anyway, and a web
    // stream over the socket cost more CPU than the rest of the call.
    return new Response(noBody ? null : await readAll(response), { status, headers })
  }
}

async function readAll(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of response) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** dns.lookup that refuses when any address the name resolves to is forbidden. */
function guardedLookup(policy: OutboundPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0)
      const refused = addresses.map((entry) => forbiddenAddressReason(entry.address, policy)).find(Boolean)
      if (refused)
        return callback(new OutboundAddressError(`refusing to connect to ${hostname}: ${refused}`), '', 0)
      if (options.all) return callback(null, addresses)
      const [first] = addresses
      if (!first) return callback(new OutboundAddressError(`${hostname} resolved to no address`), '', 0)
      return callback(null, first.address, first.family)
    })
  }
}
