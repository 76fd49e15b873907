/**
 * Failpoints: named places on the approval path where a test can make the process die at once
 * (SIGKILL, no cleanup, no flush), to prove that a crash there loses no approved request and
 * leaks no reservation for good. They are inert unless FAILPOINTS is set, which only the crash
 * tests do; production never sets it, and an unknown name stops boot.
 *
 * FAILPOINTS=name:n,… kills the process on the n-th time `name` is reached (counted per process).
 */
export const failpointNames = [
  /** Limits reserved (and the sender nonce claimed); nothing attested yet. */
  'after-reserve',
  /** The approval is attested and durable in the log; nothing recorded. */
  'after-attest',
  /** The request is recorded; not enqueued. */
  'after-record',
  /** Enqueued; the 202 not sent. */
  'after-enqueue',
] as const

export type FailpointName = (typeof failpointNames)[number]

/** Parses FAILPOINTS; throws on anything it does not know, so a typo is not silently inert. */
export function parseFailpoints(raw: string): Map<FailpointName, number> {
  const armed = new Map<FailpointName, number>()
  for (const entry of raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [name, count = '1'] = entry.split(':')
    if (!failpointNames.includes(name as FailpointName) || !/^[1-9]\d{0,5}$/.test(count))
      throw new Error(`"${entry}": expected name:n with name one of ${failpointNames.join(', ')}`)
    armed.set(name as FailpointName, Number(count))
  }
  return armed
}

/** The failpoint hook of a process: undefined (inert) unless some point is armed. */
export function createFailpoint(
  armed: ReadonlyMap<FailpointName, number>,
  die: (name: FailpointName) => void = () => process.kill(process.pid, 'SIGKILL'),
): ((name: FailpointName) => void) | undefined {
  if (armed.size === 0) return undefined
  const reached = new Map<FailpointName, number>()
  return (name) => {
    const target = armed.get(name)
    if (target === undefined) return
    const count = (reached.get(name) ?? 0) + 1
    reached.set(name, count)
    if (count === target) die(name)
  }
}
