import { type ChildProcess, spawn } from 'node:child_process'

/** A child process started by the dev tooling, with the address it listens on. */
export type ManagedProcess = {
  readonly name: string
  readonly child: ChildProcess
  /** Sends SIGTERM, then SIGKILL after `graceMs`, and resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>
}

export type SpawnUntilReadyParameters = {
  name: string
  command: string
  args: string[]
  /** Returns a value once a line of output shows the process is ready. */
  readyWhen: (line: string) => string | undefined
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
}

/**
 * Spawns a long-running process and resolves when one of its output lines satisfies `readyWhen`.
 * The process is killed if it does not become ready in time, and the error carries its last output.
 */
export function spawnUntilReady(
  parameters: SpawnUntilReadyParameters,
): Promise<{ process: ManagedProcess; ready: string }> {
  const { name, command, args, readyWhen, timeoutMs = 20_000, env } = parameters
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env })
    const tail: string[] = []
    let settled = false
    let buffered = ''
    const managed = managedProcess(name, child)

    const fail = (message: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      void managed.stop(0)
      reject(new Error(`${name}: ${message}${tail.length ? `\n${tail.join('\n')}` : ''}`))
    }
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs)

    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        tail.push(line)
        if (tail.length > 20) tail.shift()
        if (settled) continue
        const ready = readyWhen(line)
        if (ready !== undefined) {
          settled = true
          clearTimeout(timer)
          resolve({ process: managed, ready })
        }
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', (error) => fail(`could not start ${command}: ${error.message}`))
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`))
  })
}

function managedProcess(name: string, child: ChildProcess): ManagedProcess {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  return {
    name,
    child,
    async stop(graceMs = 3_000) {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}
