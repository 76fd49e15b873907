import type { ForwarderReader } from './forwardRequest.js'
import type { GatewayTransport } from './gatewayTransport.js'

/**
 * What every client action runs against: the authenticated transport to the gateway and, when
 * the client was given a chain and a forwarder, the reader for that forwarder.
 */
export type IntentGateContext = {
  transport: GatewayTransport
  forwarder: ForwarderReader | undefined
}
