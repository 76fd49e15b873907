import { connect } from 'node:net'

export type RawResponse = {
  status: number
  headers: Record<string, string>
  body: string
  /** Body bytes the client had handed to the socket when the response headers arrived. */
  bodyBytesSentBeforeAnswer: number
}

/**
 * Sends one HTTP/1.1 request byte for byte over a TCP socket, so a test can send what fetch refuses
 * to (conflicting framing headers, an endless chunked body). `head` is the request line and headers
 * without the blank line; `body` yields the raw body bytes, framing included, and is pulled with
 * backpressure only until the answer's headers arrive. Resolves with the first response.
 */
export function sendRaw(
  url: string,
  head: string,
  body: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array> = () => [],
): Promise<RawResponse> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let received = Buffer.alloc(0)
    let sent = 0
    let sentAtAnswer: number | undefined
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A server that answered and then closed makes our pending writes fail; the answer still counts.
      if (sentAtAnswer === undefined) reject(error)
    })
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      const headerEnd = received.indexOf('\r\n\r\n')
      if (headerEnd < 0) return
      sentAtAnswer ??= sent
      const parsed = parseResponse(received, headerEnd)
      if (parsed) {
        socket.destroy()
        resolve({ ...parsed, bodyBytesSentBeforeAnswer: sentAtAnswer })
      }
    })
    socket.on('connect', async () => {
      socket.write(`${head}\r\n\r\n`)
      try {
        for await (const chunk of body()) {
          if (sentAtAnswer !== undefined || socket.destroyed) break
          sent += chunk.length
          if (!socket.write(chunk)) await waitForDrainOrAnswer(socket, () => sentAtAnswer !== undefined)
        }
      } catch (error) {
        if (sentAtAnswer === undefined) reject(error)
      }
    })
  })
}

function waitForDrainOrAnswer(socket: ReturnType<typeof connect>, answered: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (answered() || socket.destroyed) done()
    }, 5)
    const done = () => {
      clearInterval(poll)
      socket.off('drain', done)
      resolve()
    }
    socket.once('drain', done)
  })
}

function parseResponse(
  received: Buffer,
  headerEnd: number,
): Omit<RawResponse, 'bodyBytesSentBeforeAnswer'> | undefined {
  const [statusLine = '', ...lines] = received.subarray(0, headerEnd).toString('latin1').split('\r\n')
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':')
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]
    }),
  )
  const rest = received.subarray(headerEnd + 4)
  const length = Number(headers['content-length'] ?? Number.NaN)
  let body: Buffer
  if (Number.isInteger(length)) {
    if (rest.length < length) return undefined
    body = rest.subarray(0, length)
  } else if (headers['transfer-encoding'] === 'chunked') {
    const decoded = decodeChunked(rest)
    if (!decoded) return undefined
    body = decoded
  } else {
    body = rest
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') }
}

function decodeChunked(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = []
  let offset = 0
  while (true) {
    const lineEnd = data.indexOf('\r\n', offset)
    if (lineEnd < 0) return undefined
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16)
    if (size === 0) return Buffer.concat(parts)
    if (data.length < lineEnd + 2 + size + 2) return undefined
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size))
    offset = lineEnd + 2 + size + 2
  }
}

/** Yields `total` bytes of chunked framing around `chunkSize`-byte chunks of `fill`, then the last chunk. */
export function* chunkedBody(total: number, chunkSize = 64 * 1024, fill = 0x20): Iterable<Uint8Array> {
  const chunk = Buffer.alloc(chunkSize, fill)
  const framed = Buffer.concat([Buffer.from(`${chunkSize.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
  for (let sent = 0; sent < total; sent += chunkSize) yield framed
  yield Buffer.from('0\r\n\r\n')
}
