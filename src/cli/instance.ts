import { parseArgs } from 'node:util'
import { adminTarget, callAdmin } from './adminClient.js'
import { CliError, type CliIo } from './cliIo.js'

export const instanceUsage = `intentgate instance <command>

  create --template DIGEST [--params JSON] [--ttl SECONDS] [--url URL] [--admin-key KEY]
        create an app instance (operator role) and print it with its capability token
  revoke ID --reason TEXT [--url URL] [--admin-key KEY]
        revoke an instance: every token of it stops working
`

/** `intentgate instance …` */
export async function runInstance(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      template: { type: 'string' },
      params: { type: 'string' },
      ttl: { type: 'string' },
      reason: { type: 'string' },
      url: { type: 'string' },
      'admin-key': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  if (command === 'create') {
    if (!values.template) throw new CliError('--template DIGEST is needed')
    let params: unknown = {}
    if (values.params) {
      try {
        params = JSON.parse(values.params)
      } catch {
        throw new CliError('--params must be a JSON object')
      }
    }
    const ttl = values.ttl === undefined ? undefined : Number(values.ttl)
    if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0))
      throw new CliError('--ttl must be a positive integer')
    const created = await callAdmin(adminTarget(values, io.env), 'POST', '/v1/admin/instances', {
      templateDigest: values.template,
      params,
      ...(ttl ? { tokenTtlSeconds: ttl } : {}),
    })
    io.stdout(`${JSON.stringify(created, null, 2)}\n`)
    return 0
  }
  if (command === 'revoke') {
    const [id] = positionals
    if (!id || !values.reason) throw new CliError('usage: intentgate instance revoke ID --reason TEXT')
    const revoked = await callAdmin(
      adminTarget(values, io.env),
      'POST',
      `/v1/admin/instances/${encodeURIComponent(id)}/revoke`,
      {
        reason: values.reason,
      },
    )
    io.stdout(`${JSON.stringify(revoked, null, 2)}\n`)
    return 0
  }
  io.stdout(instanceUsage)
  return command === undefined || command === 'help' ? 0 : 2
}
