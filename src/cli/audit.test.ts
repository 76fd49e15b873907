import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type SampleLogKeys, sampleLogKeys, writeSampleLog } from '../../test/support/sampleLog.js'
import { formatVerifierKey } from '../attest/signedNote.js'
import { formatPublicKey, generateSigningKey } from '../crypto/ed25519.js'
import { runAudit, verificationFailedExitCode } from './audit.js'
import { CliError, type CliIo } from './cliIo.js'

async function run(args: string[], env: Record<string, string> = {}) {
  let stdout = ''
  let stderr = ''
  const io: CliIo = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env }
  const code = await runAudit(args, io)
  return { code, stdout, stderr }
}

let work: string
let logDir: string
let keys: SampleLogKeys
let keyArgs: string[]

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'intentgate-audit-cli-'))
  logDir = join(work, 'log')
  keys = sampleLogKeys()
  await writeSampleLog(logDir, keys, { count: 10 })
  keyArgs = [
    '--key',
    formatVerifierKey({ name: keys.origin, publicKey: keys.logKey }),
    '--key',
    formatPublicKey(keys.attestationKey),
  ]
})
afterAll(() => rm(work, { recursive: true, force: true }))

describe('intentgate audit verify', () => {
  test('accepts an intact log, saves the state, and checks the next run against it', async () => {
    const state = join(work, 'state.json')
    const first = await run(['verify', logDir, ...keyArgs, '--state', state])
    expect(first).toMatchObject({ code: 0, stderr: '' })
    expect(first.stdout).toMatch(
      /^OK audit\.test\/gw-1: 19 entries \(10 decisions, 7 outcomes, 0 approval events, 2 admin actions\)/,
    )
    expect(first.stdout).toContain('no saved state')
    expect(JSON.parse(await readFile(state, 'utf8'))).toMatchObject({ origin: keys.origin, size: 19 })
    const second = await run(['verify', logDir, ...keyArgs, '--state', state])
    expect(second.stdout).toContain('consistent with the tree of 19 entries accepted before')
  })

  test('keeps the state under HOME by default', async () => {
    const result = await run(['verify', logDir, ...keyArgs], { HOME: work })
    expect(result.code).toBe(0)
    expect(
      JSON.parse(await readFile(join(work, '.intentgate', 'audit', 'audit.test_gw-1.json'), 'utf8')),
    ).toMatchObject({
      size: 19,
    })
  })

  test('reads the keys from a file of lines', async () => {
    const file = join(work, 'keys.txt')
    await writeFile(file, `${keyArgs[1]}\n${keyArgs[3]}\n`)
    expect((await run(['verify', logDir, '--key', file, '--no-state'])).code).toBe(0)
  })

  test('a log regrown after a truncation is refused as a fork, exit 3, and the state is kept', async () => {
    const dir = join(work, 'forked')
    const state = join(work, 'fork-state.json')
    await writeSampleLog(dir, keys, { count: 4 })
    expect((await run(['verify', dir, ...keyArgs, '--state', state])).code).toBe(0)
    const saved = await readFile(state, 'utf8')
    await rm(dir, { recursive: true })
    await writeSampleLog(dir, keys, { count: 6, salt: 'b' })
    const result = await run(['verify', dir, ...keyArgs, '--state', state])
    expect(result.code).toBe(verificationFailedExitCode)
    expect(result.stderr).toMatch(
      /^FAIL fork: the first 8 entries no longer hash to the root accepted before/,
    )
    expect(await readFile(state, 'utf8')).toBe(saved)
  })

  test('entries signed by another key fail with the index of the first', async () => {
    const other = ['--key', keyArgs[1] as string, '--key', formatPublicKey(generateSigningKey())]
    const result = await run(['verify', logDir, ...other, '--no-state'])
    expect(result).toMatchObject({ code: verificationFailedExitCode })
    expect(result.stderr).toMatch(/^FAIL bad-signature at index 0: /)
  })

  test('without both keys, or with a state of another key, it does not run', async () => {
    await expect(run(['verify', logDir, '--key', keyArgs[3] as string])).rejects.toThrow(/no log key/)
    await expect(run(['verify', logDir, '--key', keyArgs[1] as string])).rejects.toThrow(/no attestation key/)
    await expect(run(['verify', logDir, '--key', 'nonsense', '--no-state'])).rejects.toThrow(CliError)
    const state = join(work, 'state.json')
    const otherLog = [
      '--key',
      formatVerifierKey({ name: keys.origin, publicKey: generateSigningKey() }),
      '--key',
      keyArgs[3] as string,
    ]
    await expect(run(['verify', logDir, ...otherLog, '--state', state])).rejects.toThrow(/does not verify/)
  })
})

describe('intentgate audit show and export', () => {
  test('show prints one line per entry, filtered', async () => {
    const { stdout } = await run(['show', logDir, '--decision', 'deny'])
    const lines = stdout.trim().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines.every((line) => / decision {5}deny /.test(line))).toBe(true)
    expect(lines[0]).toContain('QUOTA_EXCEEDED')
  })

  test('show pages with --limit and says where to go on', async () => {
    const { stdout } = await run(['show', logDir, '--limit', '2'])
    expect(stdout.trim().split('\n')).toStrictEqual([
      expect.stringMatching(/^#0 /),
      expect.stringMatching(/^#1 .* outcome {6}confirmed .* tx 0x/),
      '… more may follow: --cursor 2',
    ])
  })

  test('show --index prints one entry in full', async () => {
    const { stdout } = await run(['show', logDir, '--index', '1'])
    expect(JSON.parse(stdout)).toMatchObject({
      index: 1,
      summary: { kind: 'outcome', templateId: 'community-poll' },
      envelope: { payloadType: 'application/vnd.in-toto+json' },
      statement: { predicateType: 'https://intentgate.dev/attestations/outcome/v1' },
    })
  })

  test('export writes every matching entry as a JSON line', async () => {
    const out = join(work, 'outcomes.jsonl')
    const result = await run(['export', logDir, '--kind', 'outcome', '--out', out])
    expect(result.stderr).toBe(`wrote 7 entries to ${out}\n`)
    const lines = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines).toHaveLength(7)
    expect(
      lines.every((line) => line.summary.kind === 'outcome' && /^[0-9a-f]{64}$/.test(line.entryDigest)),
    ).toBe(true)
  })

  test('bad filters name the flag', async () => {
    await expect(run(['show', logDir, '--since', 'yesterday'])).rejects.toThrow(/^--since: /)
    await expect(run(['show', logDir, '--tx', '0x12'])).rejects.toThrow(/^--tx: /)
    await expect(run(['show'])).rejects.toThrow(/name a log directory/)
    expect((await run(['frobnicate'])).code).toBe(2)
  })
})
