import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { loadBuiltinPolicy } from '../src/policy/loadBuiltinPolicy.js'
import type { WasmPolicy } from '../src/policy/wasmPolicy.js'
import { alternate, combinedPerSecond, measurePath, type PathRun } from './decisionPath.js'
import {
  type GatewayUnderTest,
  presignVotes,
  startGatewayUnderTest,
  startParseAndRecoverServer,
} from './gatewayUnderTest.js'
import type { LoadResult } from './loadClient.js'
import { runLoad } from './measure.js'
import { countCpu } from './processCpu.js'
import { measureShadowEvaluation, shadowSettings } from './shadow.js'
import { prebuildPaymasterRequests, sponsoredAnswerMark } from './userOps.js'

export const policyInputFile = fileURLToPath(
  new URL('../src/policy/testdata/allowedPolicyInput.json', import.meta.url),
)
const floorRequests = 20_000

/** (e): the gateway's /healthz and raw node:http answering the same bytes, c=64, each after a warm-up. */
export async function measureHttpFloor(target: GatewayUnderTest) {
  const raw = await startRawHttp()
  try {
    const get = (url: string, requests: number) =>
      runLoad({ url, method: 'GET', headers: {}, requests, concurrency: 64 })
    await get(raw.url, 2_000)
    await get(`${target.gateway.url}/healthz`, 2_000)
    const bareHttp = await get(raw.url, floorRequests)
    const noop = await get(`${target.gateway.url}/healthz`, floorRequests)
    return { bareHttp, noop }
  } finally {
    await raw.stop()
  }
}

const concurrencies = [16, 64, 256] as const

/** Queues `count` allowed meta-transactions, for a relay figure measured without (a) before it. */
export async function queueVotes(target: GatewayUnderTest, count: number) {
  const load = await runLoad({
    url: `${target.gateway.url}/v1/meta-transactions`,
    method: 'POST',
    headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
    bodies: await presignVotes(target, count),
    concurrency: 16,
  })
  if (load.statuses['202'] !== count) throw new Error(`queueing votes: ${JSON.stringify(load.statuses)}`)
}

/**
 * (a): unique pre-signed votes, all allowed, at c=16/64/256 after a warm-up; the same bodies then
 * go to a Hono route that only parses them and recovers the signer.
 */
export async function measureDecisionPath(target: GatewayUnderTest, requests: number) {
  // Long enough for the JIT to settle: after 500 requests the gateway still spent about half as
  // much CPU again per request at c=16 as it did 1,500 requests later (3.15 against 2.19 and
  // 2.03 ms on 2026-12-06), which the first measured run paid and the microbenchmarks, each
  // measured warm, do not.
  const warmup = 2_000
  const bodies = await presignVotes(target, warmup + requests * concurrencies.length)
  const runs = await measurePath({
    target,
    path: '/v1/meta-transactions',
    bodies,
    warmup,
    requests,
    concurrencies,
    success: 202,
  })
  const parseAndRecover = await startParseAndRecoverServer(target)
  try {
    const floorJob = (slice: string[], concurrency: number) =>
      runLoad({
        url: `${parseAndRecover.url}/v1/meta-transactions`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        bodies: slice,
        concurrency,
      })
    // Warmed up as the gateway was, so neither side of the ratio pays the JIT's start.
    await floorJob(bodies.slice(0, warmup), concurrencies[0])
    const floorRuns: { concurrency: number; load: LoadResult }[] = []
    for (const [index, concurrency] of concurrencies.entries()) {
      const start = warmup + index * requests
      floorRuns.push({
        concurrency,
        load: await floorJob(bodies.slice(start, start + requests), concurrency),
      })
    }
    return { runs, parseAndRecover: floorRuns }
  } finally {
    await parseAndRecover.stop()
  }
}

/** (d): unique user operations of fresh accounts, all sponsored, at c=16 and c=64 after a warm-up. */
export async function measurePaymasterData(
  target: GatewayUnderTest,
  requests: number,
): Promise<{ runs: PathRun[] }> {
  // Warmed up for the same reason as (a): the first measured run must not pay the JIT's start.
  const warmup = 1_000
  const paymasterConcurrencies = [16, 64]
  const bodies = await prebuildPaymasterRequests(target, warmup + requests * paymasterConcurrencies.length)
  const runs = await measurePath({
    target,
    path: '/rpc',
    bodies,
    warmup,
    requests,
    concurrencies: paymasterConcurrencies,
    success: 200,
    expectInBody: sponsoredAnswerMark,
  })
  return { runs }
}

/**
 * (f): shadow mode's cost on (a). A second gateway, set up like the first but shadowing a signed
 * candidate, and the first take turns at c=16 (two rounds each), so both see the same machine;
 * throughput is compared over all rounds. The CPU the candidate adds per decision is measured too,
 * against the gateway CPU a decision costs without it.
 */
export async function measureShadowOnDecisions(parameters: {
  target: GatewayUnderTest
  policy: WasmPolicy
  requests: number
}) {
  const { target, policy, requests } = parameters
  const shadowed = await startGatewayUnderTest({ env: shadowSettings() })
  try {
    const rounds = 2
    const perRound = Math.max(200, Math.floor(requests / rounds))
    const bodies = await presignVotes(target, 2 * (perRound * rounds + 200))
    const job = (gateway: GatewayUnderTest, slice: string[]) =>
      runLoad({
        url: `${gateway.gateway.url}/v1/meta-transactions`,
        method: 'POST',
        headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
        bodies: slice,
        concurrency: 16,
      })
    // Each gateway has its own Redis and Anvil, so the same bodies are fresh on each.
    await job(shadowed, bodies.slice(0, 200))
    let next = 200
    const take = () => {
      next += perRound
      return bodies.slice(next - perRound, next)
    }
    let plainCpuMs = 0
    const cpuPlain = async () => {
      const cpu = countCpu({})
      const load = await job(target, take())
      plainCpuMs += cpu.perRequest(load.requests).gatewayMs * load.requests
      return load
    }
    const { first, second } = await alternate({
      first: cpuPlain,
      second: () => job(shadowed, take()),
      rounds,
    })
    for (const load of [...first, ...second]) {
      if (load.statuses['202'] !== load.requests)
        throw new Error(`(f): statuses ${JSON.stringify(load.statuses)}`)
    }
    // The candidate is the same Rego as the active policy, loaded a second time, as in the gateway.
    const candidate = await loadBuiltinPolicy({
      wasmFile: fileURLToPath(new URL('../policies/build/policy.wasm', import.meta.url)),
      dataFile: fileURLToPath(new URL('../policies/build/data.json', import.meta.url)),
    })
    const evaluation = await measureShadowEvaluation({ policy, shadow: candidate.policy, policyInputFile })
    // The second gateway idles during the plain rounds, so this process's CPU is the first's.
    const plainRequests = first.reduce((sum, load) => sum + load.requests, 0)
    return {
      plainPerSecond: combinedPerSecond(first),
      shadowedPerSecond: combinedPerSecond(second),
      rounds: { plain: first, shadowed: second },
      cpu: {
        addedSeconds: evaluation.shadowed - evaluation.plain,
        perDecisionSeconds: plainCpuMs / plainRequests / 1000,
        evaluation,
      },
    }
  } finally {
    await shadowed.stop()
  }
}

/** Raw node:http answering what /healthz answers, as the floor of any HTTP framework. */
function startRawHttp(): Promise<{ url: string; stop(): Promise<void> }> {
  const payload = JSON.stringify({ status: 'ok' })
  const server = createServer((_request, response) => {
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
    })
    response.end(payload)
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      resolve({
        url: `http://127.0.0.1:${port}`,
        stop: () => new Promise((done) => server.close(() => done())),
      })
    }),
  )
}
