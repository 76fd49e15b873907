import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { parseTemplateManifest } from '../templates/manifest.js'
import { signTemplate } from '../templates/signTemplate.js'
import { templateDigest } from '../templates/templateDigest.js'
import { parseRequiredSignatures, verifyTemplateEnvelope } from '../templates/verifyTemplate.js'
import { adminTarget, callAdmin } from './adminClient.js'
import { CliError, type CliIo } from './cliIo.js'
import { readJsonFile, readPublicKey, readSigningKeyFile } from './readKeyFile.js'

export const templateUsage = `intentgate template <command>

  sign MANIFEST.json --key FILE [--key FILE…] [--out ENVELOPE.json]
        check the manifest, then sign it as a DSSE envelope with each authority key
  verify ENVELOPE.json --authority KEY [--authority KEY…] [--thresholds 1,1,2,2]
        check signatures, k-of-n for the level, the manifest and its expiry; KEY is ed25519:… or a file
  publish ENVELOPE.json [--url URL] [--admin-key KEY]
        publish to a gateway (operator role); defaults come from INTENTGATE_URL and INTENTGATE_ADMIN_KEY
`

/** `intentgate template …` */
export async function runTemplate(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args
  switch (command) {
    case 'sign':
      return signCommand(rest, io)
    case 'verify':
      return verifyCommand(rest, io)
    case 'publish':
      return publishCommand(rest, io)
    default:
      io.stdout(templateUsage)
      return command === undefined || command === 'help' ? 0 : 2
  }
}

function signCommand(args: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args,
    options: { key: { type: 'string', multiple: true }, out: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  })
  const manifestPath = onlyPositional(positionals, 'manifest file')
  if (!values.key?.length) throw new CliError('at least one --key is needed')
  const manifest = readJsonFile(manifestPath)
  // Signing an invalid manifest would only move the error to publish time; say it now.
  const parsed = parseTemplateManifest(manifest)
  if (!parsed.ok) throw new CliError(`${manifestPath}: ${parsed.message}`)
  const envelope = signTemplate(manifest, values.key.map(readSigningKeyFile))
  const text = `${JSON.stringify(envelope, null, 2)}\n`
  if (values.out) writeFileSync(values.out, text)
  else io.stdout(text)
  io.stderr(`signed ${parsed.manifest.id}@${parsed.manifest.version} ${templateDigest(manifest)}\n`)
  return 0
}

function verifyCommand(args: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args,
    options: { authority: { type: 'string', multiple: true }, thresholds: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  })
  const envelopePath = onlyPositional(positionals, 'envelope file')
  if (!values.authority?.length) throw new CliError('at least one --authority is needed')
  const thresholds = parseRequiredSignatures(values.thresholds ?? '1,1,2,2')
  if (!thresholds.ok) throw new CliError(`--thresholds: ${thresholds.message}`)
  const result = verifyTemplateEnvelope(readJsonFile(envelopePath), {
    authorities: values.authority.map(readPublicKey),
    requiredSignatures: thresholds.requiredSignatures,
    now: new Date(),
  })
  if (!result.ok) {
    io.stderr(`${result.code}: ${result.message}\n`)
    return 1
  }
  const { manifest, digest, signers } = result
  io.stdout(
    `${JSON.stringify({ ok: true, digest, id: manifest.id, version: manifest.version, signers }, null, 2)}\n`,
  )
  return 0
}

async function publishCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { url: { type: 'string' }, 'admin-key': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  })
  const envelopePath = onlyPositional(positionals, 'envelope file')
  const published = await callAdmin(
    adminTarget(values, io.env),
    'POST',
    '/v1/admin/templates',
    readJsonFile(envelopePath),
  )
  io.stdout(`${JSON.stringify(published, null, 2)}\n`)
  return 0
}

function onlyPositional(positionals: string[], what: string): string {
  const [only] = positionals
  if (!only || positionals.length > 1) throw new CliError(`expected one ${what}`)
  return only
}
