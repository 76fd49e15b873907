import type { Duplex } from 'node:stream'
import type { ErrorBody } from '../errors/index.js'

/**
 * Node's HTTP parser refuses some requests before any handler sees them: Content-Length together
 * with Transfer-Encoding (a request-smuggling shape), a bad chunk size, headers past the size
 * limit. Node's own answer is a bare 400 with no body; this writes the documented JSON error
 * instead and closes the connection, since the parser can no longer tell where the next request
 * would start. Install it as the server's `clientError` listener.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // A connection the client already dropped gets no reply.
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const parserError = typeof error.code === 'string' && error.code.startsWith('HPE_')
  const body: ErrorBody = {
    error: {
      code: 'INVALID_REQUEST',
      message: parserError ? `Malformed HTTP request: ${parserReason(error)}` : 'Malformed HTTP request',
    },
  }
  const text = JSON.stringify(body)
  socket.end(
    `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  )
}

/** llhttp's reason, such as "Transfer-Encoding can't be present with Content-Length", without its prefix. */
function parserReason(error: Error): string {
  return error.message.replace(/^Parse Error:\s*/, '')
}
