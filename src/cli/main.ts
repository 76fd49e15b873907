#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { ConfigError } from '../config/loadConfig.js'
import { runApprovals } from './approvals.js'
import { runAudit } from './audit.js'
import { CliError, processIo } from './cliIo.js'
import { runInstance } from './instance.js'
import { runKeys } from './keys.js'
import { runPolicy } from './policy.js'
import { runServe } from './serve.js'
import { runTemplate } from './template.js'

const usage = `intentgate <command>

Commands:
  serve        run the gateway with configuration from the environment (see README);
               --role api|worker|all (default all) splits HTTP from relaying
  dev          run Anvil from the fixture, Redis and the gateway for local development
  keys         generate Ed25519 keys (authorities, tokens) and admin API keys
  template     sign, verify and publish template manifests
  instance     create and revoke app instances
  policy       replay logged decisions against a candidate bundle
  approvals    list held requests, approve or reject them (k-of-n operator approval)
  audit        verify a log offline (fork detection), show and export its entries
  help         show this text
`

/** Entry point of the `intentgate` command. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'serve': {
      const { values } = parseArgs({ args: rest, options: { role: { type: 'string' } }, strict: true })
      return runServe(process.env, values.role)
    }
    case 'keys':
      return runKeys(rest, processIo)
    case 'template':
      return runTemplate(rest, processIo)
    case 'instance':
      return runInstance(rest, processIo)
    case 'audit':
      return runAudit(rest, processIo)
    case 'policy':
      return runPolicy(rest, processIo)
    case 'approvals':
      return runApprovals(rest, processIo)
    case 'dev': {
      const { runDev } = await import('../dev/runDev.js')
      await runDev(process.env)
      return 0
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage)
      return 0
    default:
      process.stderr.write(`intentgate: unknown command "${command}"\n\n${usage}`)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code
  },
  (error: unknown) => {
    // parseArgs reports bad flags as TypeErrors with a readable message.
    const known = error instanceof ConfigError || error instanceof CliError || error instanceof TypeError
    const message = known ? error.message : String(error)
    process.stderr.write(`intentgate: ${message}\n`)
    process.exitCode = 1
  },
)
