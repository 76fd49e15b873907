import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { generateAdminKey } from '../auth/adminKeys.js'
import { exportSigningKey, formatPublicKey, generateSigningKey } from '../crypto/ed25519.js'
import { CliError, type CliIo } from './cliIo.js'

export const keysUsage = `intentgate keys <command>

  generate [--out FILE]              a new Ed25519 key: a template authority, the token or attestation key.
                                     Prints {keyid, publicKey, privateKey}; with --out, writes the private key
                                     to FILE (mode 600) and prints only the public part.
  admin --name NAME --role ROLE      a new admin API key (ROLE is operator or auditor). Prints the key once,
                                     and the ADMIN_KEYS entry that holds only its hash.
`

/** `intentgate keys …` */
export async function runKeys(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args
  if (command === 'generate') {
    const { values } = parseArgs({ args: rest, options: { out: { type: 'string' } }, strict: true })
    const key = generateSigningKey()
    const privateKey = exportSigningKey(key)
    if (values.out) {
      writeFileSync(values.out, `${privateKey}\n`, { mode: 0o600, flag: 'wx' })
      io.stdout(
        `${JSON.stringify({ keyid: key.keyid, publicKey: formatPublicKey(key), privateKeyFile: values.out }, null, 2)}\n`,
      )
    } else {
      io.stdout(
        `${JSON.stringify({ keyid: key.keyid, publicKey: formatPublicKey(key), privateKey }, null, 2)}\n`,
      )
    }
    return 0
  }
  if (command === 'admin') {
    const { values } = parseArgs({
      args: rest,
      options: { name: { type: 'string' }, role: { type: 'string' } },
      strict: true,
    })
    if (!values.name || !/^[a-zA-Z0-9._-]{1,64}$/.test(values.name))
      throw new CliError('--name must match [a-zA-Z0-9._-]{1,64}')
    if (values.role !== 'operator' && values.role !== 'auditor')
      throw new CliError('--role must be operator or auditor')
    const { key, hash } = generateAdminKey()
    io.stdout(
      `${JSON.stringify({ key, adminKeysEntry: `${values.name}:${values.role}:${hash}` }, null, 2)}\n`,
    )
    io.stderr('Store the key now: only its hash goes into ADMIN_KEYS, so it cannot be shown again.\n')
    return 0
  }
  io.stdout(keysUsage)
  return command === undefined || command === 'help' ? 0 : 2
}
