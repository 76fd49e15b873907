import { loadConfig } from '../config/loadConfig.js'
import { startGateway } from '../main.js'

/**
 * `intentgate serve`: parse the environment, start the gateway, and stop gracefully on SIGTERM or
 * SIGINT. Resolves once the gateway is listening; the process then lives until a signal arrives.
 */
export async function runServe(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env)
  const gateway = await startGateway(config)
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
