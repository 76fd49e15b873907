import { loadConfig } from '../config/loadConfig.js'
import { type GatewayRole, startGateway } from '../main.js'
import { CliError } from './cliIo.js'

const roles: readonly GatewayRole[] = ['api', 'worker', 'all']

/**
 * `intentgate serve`: parse the environment, start the gateway, and stop gracefully on SIGTERM or
 * SIGINT. Resolves once the gateway is listening; the process then lives until a signal arrives.
 */
export async function runServe(env: NodeJS.ProcessEnv, role = 'all'): Promise<number> {
  if (!roles.includes(role as GatewayRole)) {
    throw new CliError(`--role must be one of ${roles.join(', ')}, got "${role}"`)
  }
  const config = loadConfig(env)
  const gateway = await startGateway(config, { role: role as GatewayRole })
  const onSignal = (signal: NodeJS.Signals) => {
    gateway.logger.info({ signal }, 'signal received')
    gateway.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        gateway.logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
  return 0
}
