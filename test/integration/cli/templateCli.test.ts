import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadChainAddresses } from '../../../src/chain/addresses.js'
import type { CliIo } from '../../../src/cli/cliIo.js'
import { runInstance } from '../../../src/cli/instance.js'
import { runKeys } from '../../../src/cli/keys.js'
import { runTemplate } from '../../../src/cli/template.js'
import { exportSigningKey, formatPublicKey } from '../../../src/crypto/ed25519.js'
import type { RunningGateway } from '../../../src/main.js'
import { communityPollManifest } from '../../../src/templates/exampleManifest.js'
import { templateDigest } from '../../../src/templates/templateDigest.js'
import { createGatewayHarness } from '../../support/gatewayHarness.js'
import { fixtureAddressesPath } from '../../support/paths.js'

/** Runs a CLI command in-process and captures what it prints. */
async function run(command: (args: string[], io: CliIo) => Promise<number>, args: string[], env = {}) {
  let stdout = ''
  let stderr = ''
  const io: CliIo = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env }
  const code = await command(args, io)
  return { code, stdout, stderr }
}

const harness = createGatewayHarness()
const directory = mkdtempSync(join(tmpdir(), 'intentgate-cli-'))
let gateway: RunningGateway
let manifestPath: string
let document: ReturnType<typeof communityPollManifest>

beforeAll(async () => {
  gateway = await harness.start()
  const addresses = await loadChainAddresses(fixtureAddressesPath)
  document = communityPollManifest({
    chainId: 31337,
    expiresAt: '2099-01-01T00:00:00Z',
    poll: addresses.targets.communityPoll,
    token: addresses.targets.demoToken,
  })
  manifestPath = join(directory, 'manifest.json')
  writeFileSync(manifestPath, JSON.stringify(document, null, 2))
})
afterAll(() => harness.stopAll())

describe('intentgate keys', () => {
  test('generate --out writes a private key file readable only by its owner and prints the public key', async () => {
    const out = join(directory, 'generated.key')
    const { code, stdout } = await run(runKeys, ['generate', '--out', out])
    expect(code).toBe(0)
    const printed = JSON.parse(stdout) as { keyid: string; publicKey: string; privateKeyFile: string }
    expect(printed.publicKey).toMatch(/^ed25519:/)
    expect(printed.privateKeyFile).toBe(out)
    expect(statSync(out).mode & 0o777).toBe(0o600)
    expect(stdout).not.toContain(readFileSync(out, 'utf8').trim())
  })

  test('admin prints a key once and an ADMIN_KEYS entry holding only its hash', async () => {
    const { code, stdout } = await run(runKeys, ['admin', '--name', 'dana', '--role', 'auditor'])
    expect(code).toBe(0)
    const { key, adminKeysEntry } = JSON.parse(stdout) as { key: string; adminKeysEntry: string }
    expect(key).toMatch(/^igk_[A-Za-z0-9_-]{43}$/)
    expect(adminKeysEntry).toMatch(/^dana:auditor:[0-9a-f]{64}$/)
    expect(adminKeysEntry).not.toContain(key)
    await expect(run(runKeys, ['admin', '--name', 'dana', '--role', 'root'])).rejects.toThrow(
      '--role must be operator or auditor',
    )
  })
})

describe('intentgate template and instance, against a running gateway', () => {
  test('sign, verify, publish and create an instance', async () => {
    const keyPath = join(directory, 'authority.key')
    writeFileSync(
      keyPath,
      exportSigningKey(harness.keys.authorities[0] as (typeof harness.keys.authorities)[0]),
    )
    const envelopePath = join(directory, 'envelope.json')

    const signed = await run(runTemplate, ['sign', manifestPath, '--key', keyPath, '--out', envelopePath])
    expect(signed.code).toBe(0)
    expect(signed.stderr).toBe(`signed community-poll@1.0.0 ${templateDigest(document)}\n`)

    const authority = formatPublicKey(harness.keys.authorities[0] as (typeof harness.keys.authorities)[0])
    const verified = await run(runTemplate, ['verify', envelopePath, '--authority', authority])
    expect(verified.code).toBe(0)
    expect(JSON.parse(verified.stdout)).toMatchObject({
      ok: true,
      digest: templateDigest(document),
      id: 'community-poll',
    })

    const untrusted = formatPublicKey(harness.keys.authorities[1] as (typeof harness.keys.authorities)[0])
    const refused = await run(runTemplate, ['verify', envelopePath, '--authority', untrusted])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^TEMPLATE_SIGNATURE_INVALID: /)

    const env = { INTENTGATE_URL: gateway.url, INTENTGATE_ADMIN_KEY: harness.keys.admin.operator }
    const published = await run(runTemplate, ['publish', envelopePath], env)
    expect(JSON.parse(published.stdout)).toMatchObject({
      created: true,
      template: { digest: templateDigest(document) },
    })

    const created = await run(runInstance, ['create', '--template', templateDigest(document)], env)
    const instance = JSON.parse(created.stdout) as { instance: { id: string }; token: string }
    expect(instance.token.split('.')).toHaveLength(3)

    await expect(
      run(runInstance, ['create', '--template', templateDigest(document)], {
        ...env,
        INTENTGATE_ADMIN_KEY: harness.keys.admin.auditor,
      }),
    ).rejects.toThrow(/^FORBIDDEN: Role auditor cannot write/)
  })

  test('signing an invalid manifest fails before anything is signed, naming the field', async () => {
    const badPath = join(directory, 'bad.json')
    writeFileSync(badPath, JSON.stringify({ ...document, verificationLevel: 7 }))
    const keyPath = join(directory, 'authority2.key')
    writeFileSync(
      keyPath,
      exportSigningKey(harness.keys.authorities[1] as (typeof harness.keys.authorities)[0]),
    )
    await expect(run(runTemplate, ['sign', badPath, '--key', keyPath])).rejects.toThrow(/verificationLevel/)
  })
})
