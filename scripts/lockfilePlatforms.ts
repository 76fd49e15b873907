import { readFileSync, writeFileSync } from 'node:fs'

/**
 * Records every platform-specific optional package in package-lock.json, even ones this machine
 * cannot fetch.
 *
 * The registry mirror on the development machines serves only the Linux builds of packages such
 * as @biomejs/cli-* and @foundry-rs/anvil-*. `npm install` silently leaves the others out of the
 * lockfile, and then a strict `npm ci` refuses the lockfile as out of sync. Each entry added here
 * carries the os/cpu/libc its name states, so npm skips it on every other platform and never
 * needs to fetch it. Run after any `npm install` that changes the lockfile: `npm run lockfile:platforms`.
 */
type LockPackage = {
  version?: string
  dev?: boolean
  optional?: boolean
  optionalDependencies?: Record<string, string>
  os?: string[]
  cpu?: string[]
  libc?: string[]
}

const lockPath = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { packages: Record<string, LockPackage> }
const cpus: Record<string, string> = { arm64: 'arm64', x64: 'x64', amd64: 'x64', arm: 'arm', ia32: 'ia32' }
const oses = new Set(['android', 'darwin', 'linux', 'win32', 'freebsd', 'openbsd', 'sunos', 'aix', 'netbsd'])

/** `@scope/tool-darwin-arm64`, `@scope/cli-linux-x64-musl` → os, cpu and libc. */
function platformOf(name: string): Pick<LockPackage, 'os' | 'cpu' | 'libc'> | undefined {
  const match = /-([a-z0-9]+)-([a-z0-9]+)(-musl|-gnu)?$/.exec(name)
  const os = match?.[1]
  const cpu = match?.[2] ? cpus[match[2]] : undefined
  if (!os || !oses.has(os) || !cpu) return undefined
  const libc = match?.[3] === '-musl' ? ['musl'] : os === 'linux' ? ['glibc'] : undefined
  return { os: [os], cpu: [cpu], ...(libc ? { libc } : {}) }
}

let added = 0
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${name}`
    if (lock.packages[nested] || lock.packages[`node_modules/${name}`]) continue
    const platform = platformOf(name)
    if (!platform)
      throw new Error(`${name} (optional dependency of ${path}) is missing and names no platform`)
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(range))
      throw new Error(`${name}: expected an exact version, got ${range}`)
    lock.packages[`node_modules/${name}`] = {
      version: range,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...platform,
    }
    added++
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
)
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`)
process.stdout.write(`lockfile: ${added} platform-specific optional package(s) recorded\n`)
