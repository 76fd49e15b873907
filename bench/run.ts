import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { loadBuiltinPolicy } from '../src/policy/loadBuiltinPolicy.js'
import { type GatewayUnderTest, startGatewayUnderTest } from './gatewayUnderTest.js'
import { measureSteps } from './micro.js'
import { measureOpaOverHttp } from './opaServer.js'
import { missingDependencies } from './preflight.js'
import { measureRelay } from './relay.js'
import { loadAverage, machine, printTable, type Row, row, rps, targets, us } from './report.js'
import {
  measureDecisionPath,
  measureHttpFloor,
  measurePaymasterData,
  measureShadowOnDecisions,
  policyInputFile,
  queueVotes,
} from './sections.js'

/**
 * `npm run bench`: every figure of the Performance section, each a ratio against a baseline
 * measured in the same run on the same machine. Prints a table and writes
 * bench/results/<date>.json with the raw numbers and the load average around each part.
 *
 * BENCH_ONLY=e,b,a,d,f,c runs a subset (the signature recovery row is always measured: the
 * per-request limit of (a) and (d) is built from the same microbenchmarks).
 */
const file = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const settings = {
  decisionRequests: Number(process.env.BENCH_DECISION_REQUESTS ?? 1_500),
  paymasterRequests: Number(process.env.BENCH_PAYMASTER_REQUESTS ?? 600),
  relayRequests: Number(process.env.BENCH_RELAY_REQUESTS ?? 300),
  only: new Set((process.env.BENCH_ONLY ?? 'e,b,a,d,f,c').split(',').map((part) => part.trim())),
}
const log = (message: string) => process.stderr.write(`bench: ${message} (load ${loadAverage()[0]})\n`)

async function main() {
  const missing = missingDependencies()
  if (missing.length > 0) {
    process.stderr.write(`bench: cannot run, missing:\n${missing.map((line) => `  - ${line}`).join('\n')}\n`)
    process.exit(2)
  }
  const startedAt = new Date()
  const loadBefore = loadAverage()
  log('starting Redis, Anvil and the gateway')
  const target = await startGatewayUnderTest()
  const rows: Row[] = []
  const results: Record<string, unknown> = {}
  try {
    await measureAll(target, rows, results)
  } finally {
    await target.stop()
  }
  printTable(rows)
  const run = {
    date: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machine(),
    loadAverage: { before: loadBefore, after: loadAverage() },
    settings: { ...settings, only: [...settings.only] },
    rows,
    results,
  }
  mkdirSync(file('./results'), { recursive: true })
  const out = file(`./results/${startedAt.toISOString().slice(0, 10)}.json`)
  writeFileSync(out, `${JSON.stringify(run, null, 2)}\n`)
  process.stdout.write(
    `machine: ${run.machine.cores} × ${run.machine.cpu}, Node ${run.machine.node}; load average ${loadBefore.join(' ')} before, ${run.loadAverage.after.join(' ')} after\n`,
  )
  log(`wrote ${out}`)
}

async function measureAll(target: GatewayUnderTest, rows: Row[], results: Record<string, unknown>) {
  const section = async <T>(name: string, what: string, measure: () => Promise<T>) => {
    log(what)
    const before = loadAverage()
    const value = await measure()
    results[name] = { ...(value as object), loadAverage: { before, after: loadAverage() } }
    return value
  }

  // (e) always runs: bare node:http is a step of the per-request limit too.
  const floor = await section('httpFloor', '(e) HTTP floor: the no-op route against raw node:http', () =>
    measureHttpFloor(target),
  )
  if (settings.only.has('e')) {
    const ratio = floor.noop.perSecond / floor.bareHttp.perSecond
    rows.push(
      row(
        '(e) no-op route /healthz, c=64',
        `${rps(floor.noop)} req/s`,
        `node:http ${rps(floor.bareHttp)} req/s`,
        ratio,
        targets.atLeast(0.8)(ratio),
      ),
    )
  }

  const policy = (
    await loadBuiltinPolicy({
      wasmFile: file('../policies/build/policy.wasm'),
      dataFile: file('../policies/build/data.json'),
    })
  ).policy
  const steps = await section('steps', 'microbenchmarks of each step of the decision path', async () => {
    const redis = new Redis(target.redis.url)
    try {
      return await measureSteps({ policy, policyInputFile, redis })
    } finally {
      redis.disconnect()
    }
  })
  const recovery = steps.recoverViem / steps.recoverNative
  rows.push(
    row(
      'signature recovery on the hot path (native)',
      `${us(steps.recoverNative)} µs`,
      `viem ${us(steps.recoverViem)} µs`,
      recovery,
      targets.atLeast(10, '×')(recovery),
    ),
  )
  const { recoverViem: _slow, typedDataHashViem: _general, ...hotPath } = steps
  const stepSeconds = { ...hotPath, bareHttp: 1 / floor.bareHttp.perSecond }
  const limit = 1 / Object.values(stepSeconds).reduce((sum, seconds) => sum + seconds, 0)
  results.perRequestLimit = { perSecond: limit, stepSeconds }

  if (settings.only.has('b')) {
    const opa = await section('policy', '(b) policy: in-process Wasm against opa run --server', () =>
      measureOpaOverHttp(policyInputFile),
    )
    const wasmPerSecond = 1 / steps.policyEval
    const ratio = wasmPerSecond / opa.perSecond
    rows.push(
      row(
        '(b) Wasm policy evaluations, in-process',
        `${Math.round(wasmPerSecond)}/s`,
        `opa run --server over HTTP, c=16: ${rps(opa)}/s`,
        ratio,
        targets.atLeast(10, '×')(ratio),
      ),
    )
  }

  if (settings.only.has('a')) {
    const decision = await section('decision', '(a) decision path with enqueue, c=16/64/256', () =>
      measureDecisionPath(target, settings.decisionRequests),
    )
    for (const run of decision.runs) {
      const { load, concurrency } = run
      const ratio = load.perSecond / limit
      rows.push(
        row(
          `(a) POST /v1/meta-transactions c=${concurrency}: p50 ${load.p50Ms.toFixed(1)} ms, p99 ${load.p99Ms.toFixed(1)} ms`,
          `${rps(load)} req/s`,
          `per-request limit ${Math.round(limit)} req/s`,
          ratio,
          targets.atLeast(0.7)(ratio),
        ),
      )
      const floorRun = decision.parseAndRecover.find((entry) => entry.concurrency === concurrency)
      if (floorRun)
        rows.push(
          row(
            `(a) c=${concurrency} against a Hono route that only parses and recovers`,
            `${rps(load)} req/s`,
            `${rps(floorRun.load)} req/s`,
            load.perSecond / floorRun.load.perSecond,
          ),
        )
      if (concurrency === 64) {
        // Little's law: with 64 requests always in flight, the mean latency is 64 ÷ throughput.
        const floorMs = (64 / load.perSecond) * 1000
        rows.push(
          row(
            '(a) p99 latency at c=64',
            `${load.p99Ms.toFixed(1)} ms`,
            `Little's law mean 64 ÷ ${rps(load)}/s = ${floorMs.toFixed(1)} ms`,
            load.p99Ms / floorMs,
            targets.atMost(10, ' ms')(load.p99Ms),
          ),
        )
      }
    }
  }

  // (c) right after (a), whose queued requests it relays: the api gateway shares this process, and
  // after (d) it would be settling the thousands of sponsored ops (d) leaves, none ever bundled,
  // while the worker is timed (worker CPU per landed transaction 8.8 against 4.6 ms without them).
  if (settings.only.has('c')) {
    const relay = await section(
      'relay',
      `(c) relay: a worker lands ${settings.relayRequests} queued requests, against a bare viem loop`,
      async () => {
        // The worker relays what (a) queued; without (a), queue as many as it must land.
        if (!settings.only.has('a')) await queueVotes(target, settings.relayRequests)
        return measureRelay(target, settings.relayRequests)
      },
    )
    const ratio = relay.relayPerSecond / relay.barePerSecond
    rows.push(
      row(
        '(c) relay: meta-transactions landed per second (3 keys)',
        `${relay.relayPerSecond.toFixed(1)}/s`,
        `bare viem loop ${relay.barePerSecond.toFixed(1)}/s`,
        ratio,
        targets.atLeast(0.8)(ratio),
      ),
    )
    const total = (cpu: typeof relay.relayCpu) => cpu.gatewayMs + (cpu.redisMs ?? 0) + (cpu.anvilMs ?? 0)
    const parts = (cpu: typeof relay.relayCpu) =>
      `${cpu.gatewayMs} ms process + ${cpu.redisMs ?? '?'} Redis + ${cpu.anvilMs ?? '?'} Anvil`
    rows.push(
      row(
        '(c) relay: CPU per landed transaction',
        `worker ${parts(relay.relayCpu)}`,
        `bare loop ${parts(relay.bareCpu)}`,
        total(relay.relayCpu) / total(relay.bareCpu),
      ),
    )
  }

  if (settings.only.has('d')) {
    const paymaster = await section('paymasterData', '(d) pm_getPaymasterData, c=16/64', () =>
      measurePaymasterData(target, settings.paymasterRequests),
    )
    for (const run of paymaster.runs) {
      const ratio = run.load.perSecond / limit
      rows.push(
        row(
          `(d) pm_getPaymasterData c=${run.concurrency}: p50 ${run.load.p50Ms.toFixed(1)} ms, p99 ${run.load.p99Ms.toFixed(1)} ms`,
          `${rps(run.load)} req/s`,
          `per-request limit ${Math.round(limit)} req/s`,
          ratio,
        ),
      )
    }
  }

  if (settings.only.has('f')) {
    const shadow = await section('shadow', '(f) shadow mode: (a) with and without a shadow policy', () =>
      measureShadowOnDecisions({ target, policy, requests: settings.decisionRequests }),
    )
    const throughputCost = 1 - shadow.shadowedPerSecond / shadow.plainPerSecond
    rows.push(
      row(
        '(f) shadow policy: (a) throughput lost at c=16 (same run, alternating)',
        `${Math.round(shadow.shadowedPerSecond)} req/s shadowed`,
        `${Math.round(shadow.plainPerSecond)} req/s without`,
        throughputCost,
        targets.atMost(0.2)(throughputCost),
      ),
    )
    const cpuCost = shadow.cpu.addedSeconds / shadow.cpu.perDecisionSeconds
    rows.push(
      row(
        '(f) shadow policy: CPU added per decision (run after the answer)',
        `${us(shadow.cpu.addedSeconds)} µs`,
        `gateway CPU per decision ${us(shadow.cpu.perDecisionSeconds)} µs`,
        cpuCost,
        targets.atMost(0.2)(cpuCost),
      ),
    )
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exit(1)
})
