import { Redis } from 'ioredis'
import type { GatewayUnderTest } from './gatewayUnderTest.js'
import type { LoadJob, LoadResult } from './loadClient.js'
import { redisCommandCount, runLoad } from './measure.js'
import { type CpuPerRequest, countCpu } from './processCpu.js'

export type PathRun = {
  concurrency: number
  load: LoadResult
  /** Commands Redis ran per request, Lua and BullMQ included (INFO commandstats). */
  redisCommandsPerRequest: number
  cpu: CpuPerRequest
}

/**
 * Sends unique pre-built requests to one gateway route at each concurrency in turn, after a
 * warm-up of `warmup` requests at the first one, and counts what each run cost: Redis commands
 * and the CPU of the gateway, its Redis and its Anvil. `bodies` must hold warmup + requests ×
 * concurrencies.length bodies; none is sent twice. A run in which not every answer counts as a
 * success (`expectInBody`, else the `success` status) fails the bench: a figure of refusals would
 * measure the wrong path.
 */
export async function measurePath(parameters: {
  target: GatewayUnderTest
  path: string
  bodies: readonly string[]
  warmup: number
  requests: number
  concurrencies: readonly number[]
  success: number
  expectInBody?: string
}): Promise<PathRun[]> {
  const { target, path, bodies, warmup, requests, concurrencies, success, expectInBody } = parameters
  const needed = warmup + requests * concurrencies.length
  if (bodies.length < needed) throw new Error(`${path}: ${bodies.length} bodies for ${needed} requests`)
  const job = (slice: readonly string[], concurrency: number): LoadJob => ({
    url: `${target.gateway.url}${path}`,
    method: 'POST',
    headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
    bodies: [...slice],
    concurrency,
    ...(expectInBody === undefined ? {} : { expectInBody }),
  })
  const check = (load: LoadResult, what: string) => {
    const succeeded = expectInBody === undefined ? (load.statuses[String(success)] ?? 0) : load.matched
    if (succeeded !== load.requests)
      throw new Error(
        `${path} ${what}: ${succeeded} of ${load.requests} succeeded (statuses ${JSON.stringify(load.statuses)})`,
      )
  }
  const counter = new Redis(target.redis.url)
  try {
    check(await runLoad(job(bodies.slice(0, warmup), concurrencies[0] ?? 16)), 'warm-up')
    const runs: PathRun[] = []
    for (const [index, concurrency] of concurrencies.entries()) {
      const start = warmup + index * requests
      const commandsBefore = await redisCommandCount(counter)
      const cpu = countCpu({ redis: target.redis.process.child.pid, anvil: target.anvil.process.child.pid })
      const load = await runLoad(job(bodies.slice(start, start + requests), concurrency))
      const used = cpu.perRequest(load.requests)
      check(load, `c=${concurrency}`)
      runs.push({
        concurrency,
        load,
        redisCommandsPerRequest:
          Math.round((((await redisCommandCount(counter)) - commandsBefore) / load.requests) * 10) / 10,
        cpu: used,
      })
    }
    return runs
  } finally {
    counter.disconnect()
  }
}

/** Runs the same route on two gateways in turn, `rounds` times, and sums each one's figures. */
export async function alternate(parameters: {
  first: () => Promise<LoadResult>
  second: () => Promise<LoadResult>
  rounds: number
}): Promise<{ first: LoadResult[]; second: LoadResult[] }> {
  const first: LoadResult[] = []
  const second: LoadResult[] = []
  for (let round = 0; round < parameters.rounds; round++) {
    first.push(await parameters.first())
    second.push(await parameters.second())
  }
  return { first, second }
}

/** Requests per second over several runs taken together. */
export function combinedPerSecond(runs: readonly LoadResult[]): number {
  const requests = runs.reduce((sum, run) => sum + run.requests, 0)
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0)
  return requests / seconds
}
