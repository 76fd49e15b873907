import { readFileSync } from 'node:fs'

/** CPU milliseconds (user + system) a process has used so far, from /proc; undefined elsewhere. */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which may itself hold spaces, closed by the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    // Linux reports in clock ticks of 10 ms on every platform Node supports.
    return Number.isFinite(ticks) ? ticks * 10 : undefined
  } catch {
    return undefined
  }
}

export type CpuPerRequest = { gatewayMs: number; redisMs?: number; anvilMs?: number }

/**
 * Starts counting the CPU the gateway (this process), its Redis and its Anvil use; `perRequest`
 * divides what each used since by the requests answered. CPU per request is steadier than
 * throughput on a shared machine, and shows which process bounds the figure.
 */
export function countCpu(pids: { redis?: number; anvil?: number }) {
  const gateway = process.cpuUsage()
  const redis = cpuMs(pids.redis)
  const anvil = cpuMs(pids.anvil)
  const since = (start: number | undefined, pid: number | undefined) => {
    const now = cpuMs(pid)
    return start === undefined || now === undefined ? undefined : now - start
  }
  return {
    perRequest(requests: number): CpuPerRequest {
      const used = process.cpuUsage(gateway)
      const round = (value: number) => Math.round((value / requests) * 100) / 100
      const redisMs = since(redis, pids.redis)
      const anvilMs = since(anvil, pids.anvil)
      return {
        gatewayMs: round((used.user + used.system) / 1000),
        ...(redisMs === undefined ? {} : { redisMs: round(redisMs) }),
        ...(anvilMs === undefined ? {} : { anvilMs: round(anvilMs) }),
      }
    },
  }
}
