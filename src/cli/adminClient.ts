import { CliError } from './cliIo.js'

/** Where and as whom admin commands call the gateway: --url/--admin-key, or INTENTGATE_URL/INTENTGATE_ADMIN_KEY. */
export type AdminTarget = { url: string; adminKey: string }

export function adminTarget(
  values: { url?: string | undefined; 'admin-key'?: string | undefined },
  env: Record<string, string | undefined>,
): AdminTarget {
  const url = values.url ?? env.INTENTGATE_URL
  const adminKey = values['admin-key'] ?? env.INTENTGATE_ADMIN_KEY
  if (!url) throw new CliError('no gateway: pass --url or set INTENTGATE_URL')
  if (!adminKey) throw new CliError('no admin key: pass --admin-key or set INTENTGATE_ADMIN_KEY')
  return { url: url.replace(/\/$/, ''), adminKey }
}

/**
 * Calls an admin endpoint with a JSON body, or with bytes sent as application/gzip (a policy
 * bundle). A gateway error is re-thrown as one line with its stable code, so a script can tell
 * "TEMPLATE_EXPIRED" from a network failure.
 */
export async function callAdmin(
  target: AdminTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const raw = body instanceof Uint8Array
  let response: Response
  try {
    response = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.adminKey}`,
        ...(body === undefined ? {} : { 'content-type': raw ? 'application/gzip' : 'application/json' }),
      },
      ...(body === undefined
        ? {}
        : { body: body instanceof Uint8Array ? Buffer.from(body) : JSON.stringify(body) }),
    })
  } catch (error) {
    throw new CliError(`cannot reach ${target.url}: ${(error as Error).cause ?? (error as Error).message}`)
  }
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new CliError(`${method} ${path}: HTTP ${response.status} with a body that is not JSON`)
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } }).error
    throw new CliError(`${error?.code ?? `HTTP ${response.status}`}: ${error?.message ?? 'request failed'}`)
  }
  return parsed
}
