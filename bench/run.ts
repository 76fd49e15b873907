import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { loadBuiltinPolicy } from '../src/policy/loadBuiltinPolicy.js'
import {
  type GatewayUnderTest,
  presignVotes,
  startGatewayUnderTest,
  startParseAndRecoverServer,
} from './gatewayUnderTest.js'
import type { LoadResult } from './loadClient.js'
import { redisCommandCount, runLoad } from './measure.js'
import { measureSteps } from './micro.js'
import { startOpaServer } from './opaServer.js'
import { measureRelay } from './relay.js'
import { measureShadowEvaluation } from './shadow.js'

/**
 * `npm run bench`: every figure of the Performance section, each a ratio against a baseline
 * measured in the same run on the same machine. Prints a table and writes bench/results/<date>.json.
 */
const file = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const policyInputFile = file('../src/policy/testdata/allowedPolicyInput.json')
const concurrencies = [16, 64, 256] as const
const decisionRequests = Number(process.env.BENCH_DECISION_REQUESTS ?? 1_500)
const floorRequests = 20_000
const relayRequests = Number(process.env.BENCH_RELAY_REQUESTS ?? 300)

type Row = { measure: string; value: string; baseline: string; ratio: number; target: string }

async function main() {
  const rows: Row[] = []
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`)
  log('starting Redis, Anvil and the gateway')
  const target = await startGatewayUnderTest()
  try {
    const results = await measureAll(target, rows, log)
    printTable(rows)
    const date = new Date().toISOString().slice(0, 10)
    mkdirSync(file('./results'), { recursive: true })
    const out = file(`./results/${date}.json`)
    writeFileSync(
      out,
      `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), rows, results }, null, 2)}\n`,
    )
    log(`wrote ${out}`)
  } finally {
    await target.stop()
  }
}

async function measureAll(target: GatewayUnderTest, rows: Row[], log: (message: string) => void) {
  const raw = await startRawHttp()
  try {
    log('(e) HTTP floor: the gateway no-op route against raw node:http')
    const bareHttp = await load(raw.url, 'GET', floorRequests, 64)
    const noop = await load(`${target.gateway.url}/healthz`, 'GET', floorRequests, 64)
    rows.push(
      row(
        '(e) no-op route /healthz, c=64',
        `${rps(noop)} req/s`,
        `node:http ${rps(bareHttp)} req/s`,
        noop.perSecond / bareHttp.perSecond,
        '≥ 0.8',
      ),
    )

    log('microbenchmarks of each step of the decision path')
    const policy = (
      await loadBuiltinPolicy({
        wasmFile: file('../policies/build/policy.wasm'),
        dataFile: file('../policies/build/data.json'),
      })
    ).policy
    const redis = new Redis(target.redis.url)
    const steps = await measureSteps({ policy, policyInputFile, redis }).finally(() => redis.disconnect())
    rows.push(
      row(
        'signature recovery, native',
        `${us(steps.recoverNative)} µs`,
        `viem ${us(steps.recoverViem)} µs`,
        steps.recoverViem / steps.recoverNative,
        '≥ 10×',
      ),
    )
    const stepSeconds = { ...steps, bareHttp: 1 / bareHttp.perSecond }
    const { recoverViem: _slow, typedDataHashViem: _general, ...hotPath } = stepSeconds
    const limit = 1 / Object.values(hotPath).reduce((sum, seconds) => sum + seconds, 0)

    log('(b) policy: in-process Wasm against opa run --server over HTTP')
    // The evaluations measured as a step above: one parsed input, evaluated in-process.
    const wasmPerSecond = 1 / steps.policyEval
    const opa = await startOpaServer()
    const opaResult = await load(
      `${opa.url}/v1/data/intentgate/decision`,
      'POST',
      5_000,
      16,
      JSON.stringify({ input: JSON.parse(readFileSync(policyInputFile, 'utf8')) }),
    ).finally(() => opa.process.stop())
    rows.push(
      row(
        '(b) Wasm policy evaluations',
        `${Math.round(wasmPerSecond)}/s`,
        `OPA HTTP c=16 ${rps(opaResult)}/s`,
        wasmPerSecond / opaResult.perSecond,
        '≥ 10×',
      ),
    )

    log(`(a) decision path: pre-signing ${decisionRequests * (concurrencies.length + 1)} allowed votes`)
    const bodies = await presignVotes(target, decisionRequests * (concurrencies.length + 1))
    const parseAndRecover = await startParseAndRecoverServer(target)
    const decision: Record<
      string,
      { gateway: LoadResult; parseAndRecover: LoadResult; redisCommandsPerRequest: number }
    > = {}
    const counter = new Redis(target.redis.url)
    try {
      const headers = { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' }
      // Warm-up: connections, JIT, the chain adapter's caches.
      await runLoad({
        url: `${target.gateway.url}/v1/meta-transactions`,
        method: 'POST',
        headers,
        bodies: bodies.slice(0, decisionRequests),
        concurrency: 16,
      })
      for (const [index, concurrency] of concurrencies.entries()) {
        const slice = bodies.slice((index + 1) * decisionRequests, (index + 2) * decisionRequests)
        const commandsBefore = await redisCommandCount(counter)
        const gateway = await runLoad({
          url: `${target.gateway.url}/v1/meta-transactions`,
          method: 'POST',
          headers,
          bodies: slice,
          concurrency,
        })
        const redisCommandsPerRequest =
          ((await redisCommandCount(counter)) - commandsBefore) / gateway.requests
        const floor = await runLoad({
          url: `${parseAndRecover.url}/v1/meta-transactions`,
          method: 'POST',
          headers,
          bodies: slice,
          concurrency,
        })
        decision[concurrency] = { gateway, parseAndRecover: floor, redisCommandsPerRequest }
        if (gateway.statuses['202'] !== gateway.requests)
          log(`warning: c=${concurrency} statuses ${JSON.stringify(gateway.statuses)}`)
        rows.push(
          row(
            `(a) decision path c=${concurrency}: p50 ${ms(gateway.p50Ms)} p99 ${ms(gateway.p99Ms)} ms`,
            `${rps(gateway)} req/s`,
            `limit ${Math.round(limit)} req/s`,
            gateway.perSecond / limit,
            '≥ 0.7',
          ),
        )
        rows.push(
          row(
            `(a) vs parse+recover route c=${concurrency}`,
            `${rps(gateway)} req/s`,
            `${rps(floor)} req/s`,
            gateway.perSecond / floor.perSecond,
            '—',
          ),
        )
      }
    } finally {
      counter.disconnect()
      await parseAndRecover.stop()
    }
    log('(f) shadow mode: one more policy evaluation per live decision')
    const builtin = () =>
      loadBuiltinPolicy({
        wasmFile: file('../policies/build/policy.wasm'),
        dataFile: file('../policies/build/data.json'),
      })
    const shadow = await measureShadowEvaluation({
      policy,
      shadow: (await builtin()).policy,
      policyInputFile,
    })
    // Against the time one decision costs the gateway at c=16 (the inverse of its throughput),
    // which is stricter than against its latency, which also holds queueing.
    const perDecision = 1 / (decision[16]?.gateway.perSecond ?? Number.NaN)
    rows.push(
      row(
        '(f) shadow policy: CPU added per decision (run after the answer)',
        `${us(shadow.shadowed - shadow.plain)} µs`,
        `decision ${us(perDecision)} µs at c=16`,
        (shadow.shadowed - shadow.plain) / perDecision,
        '≤ 0.2',
      ),
    )
    log(`(c) relay: a worker lands ${relayRequests} of the queued requests, against a bare viem loop`)
    const relay = await measureRelay(target, relayRequests)
    rows.push(
      row(
        '(c) relay: meta-transactions landed per second (3 keys)',
        `${relay.relayPerSecond.toFixed(1)}/s`,
        `bare viem loop ${relay.barePerSecond.toFixed(1)}/s`,
        relay.relayPerSecond / relay.barePerSecond,
        '≥ 0.8',
      ),
    )
    return {
      shadow,
      relay,
      stepsSeconds: stepSeconds,
      perRequestLimit: limit,
      bareHttp,
      noop,
      wasmPerSecond,
      opa: opaResult,
      decision,
    }
  } finally {
    await raw.stop()
  }
}

function load(url: string, method: 'GET' | 'POST', requests: number, concurrency: number, body?: string) {
  return runLoad({
    url,
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    requests,
    concurrency,
    ...(body ? { body } : {}),
  })
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

const row = (measure: string, value: string, baseline: string, ratio: number, targetText: string): Row => ({
  measure,
  value,
  baseline,
  ratio: Math.round(ratio * 100) / 100,
  target: targetText,
})
const rps = (result: LoadResult) => String(Math.round(result.perSecond))
const us = (seconds: number) => (seconds * 1e6).toFixed(1)
const ms = (value: number) => value.toFixed(1)

function printTable(rows: Row[]) {
  const header = ['measure', 'value', 'baseline (same run)', 'ratio', 'target']
  const lines = rows.map((r) => [r.measure, r.value, r.baseline, String(r.ratio), r.target])
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => (line[column] ?? '').length)),
  )
  const format = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`
  process.stdout.write(
    `${[format(header), format(widths.map((width) => '-'.repeat(width))), ...lines.map(format)].join('\n')}\n`,
  )
}

function machine() {
  const cores = cpus()
  return {
    cpu: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exit(1)
})
