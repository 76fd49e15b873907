import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadJob, LoadResult } from './loadClient.js'

/** Seconds per call of `fn`, from repeated batches over at least `minMs` after a warm-up. */
export async function secondsPerOp(fn: () => unknown, options: { minMs?: number; batch?: number } = {}) {
  const { minMs = 1_500, batch = 50 } = options
  for (let index = 0; index < batch * 4; index++) await fn()
  let ops = 0
  const started = process.hrtime.bigint()
  let elapsedMs = 0
  while (elapsedMs < minMs) {
    for (let index = 0; index < batch; index++) await fn()
    ops += batch
    elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
  }
  return elapsedMs / 1_000 / ops
}

const clientPath = fileURLToPath(new URL('./loadClient.ts', import.meta.url))
const tsxPath = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))
const jobDir = mkdtempSync(join(tmpdir(), 'intentgate-bench-'))
let jobs = 0

/** Runs one load job in a separate client process and returns what it measured. */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  const file = join(jobDir, `job-${jobs++}.json`)
  writeFileSync(file, JSON.stringify(job))
  return new Promise((resolve, reject) => {
    execFile(tsxPath, [clientPath, file], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`load client failed: ${stderr || error.message}`))
      else resolve(JSON.parse(stdout) as LoadResult)
    })
  })
}

/** Commands Redis has executed so far, summed over `INFO commandstats`; `info` itself included. */
export async function redisCommandCount(redis: { info(section: 'commandstats'): Promise<string> }) {
  const stats = await redis.info('commandstats')
  return [...stats.matchAll(/calls=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0)
}
