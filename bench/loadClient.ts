import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'

/**
 * A load generator run as its own process (so it has its own core, not the server's event loop):
 * `tsx bench/loadClient.ts <job.json>`. It sends every body in the job once, `concurrency` at a
 * time over keep-alive connections, and prints one JSON line: the count, the wall time, latency
 * percentiles and the statuses seen.
 */
export type LoadJob = {
  url: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  /** One request per body; `requests` copies of `body` when `bodies` is absent. */
  bodies?: string[]
  body?: string
  requests?: number
  concurrency: number
  /** When set, answers whose body contains this text are counted as `matched`. */
  expectInBody?: string
}

export type LoadResult = {
  requests: number
  seconds: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  statuses: Record<string, number>
  /** Answers containing `expectInBody`, when the job set it. */
  matched?: number
}

function runJob(job: LoadJob): Promise<LoadResult> {
  const target = new URL(job.url)
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency })
  const bodies = job.bodies ?? Array.from({ length: job.requests ?? 0 }, () => job.body ?? '')
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  const expected = job.expectInBody
  let matched = 0
  let next = 0

  const sendOne = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const started = process.hrtime.bigint()
      const outgoing = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: job.method,
          headers: body ? { ...job.headers, 'content-length': Buffer.byteLength(body) } : job.headers,
        },
        (response) => {
          let text = ''
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => {
            if (expected !== undefined) text += chunk
          })
          response.on('end', () => {
            if (expected !== undefined && text.includes(expected)) matched++
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6)
            const status = String(response.statusCode)
            statuses[status] = (statuses[status] ?? 0) + 1
            resolve()
          })
        },
      )
      outgoing.on('error', reject)
      outgoing.end(body || undefined)
    })

  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++] ?? ''
      await sendOne(body)
    }
  }
  const started = process.hrtime.bigint()
  return Promise.all(Array.from({ length: job.concurrency }, worker)).then(() => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    agent.destroy()
    latencies.sort((a, b) => a - b)
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
    return {
      requests: latencies.length,
      seconds,
      perSecond: latencies.length / seconds,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      statuses,
      ...(expected === undefined ? {} : { matched }),
    }
  })
}

const jobFile = process.argv[2]
if (jobFile) {
  const job = JSON.parse(readFileSync(jobFile, 'utf8')) as LoadJob
  runJob(job).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`)
      process.exit(1)
    },
  )
}
