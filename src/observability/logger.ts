import { type Logger, pino } from 'pino'

export type { Logger }

/** JSON logs on stdout. Secrets are `Secret` values and print as [redacted] on their own. */
export function createLogger(parameters: { level: string; name?: string }): Logger {
  return pino({
    name: parameters.name ?? 'intentgate',
    level: parameters.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.token'], censor: '[redacted]' },
  })
}
