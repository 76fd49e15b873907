import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { verifyCheckpoint } from '../../../src/attest/checkpoint.js'
import { encodeLogEntry, logEntryDigest, openLogEntry } from '../../../src/attest/logEntry.js'
import { hashLeaf, verifyConsistencyProof, verifyInclusionProof } from '../../../src/attest/merkle.js'
import { parseVerifierKey } from '../../../src/attest/signedNote.js'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { runAudit } from '../../../src/cli/audit.js'
import type { CliIo } from '../../../src/cli/cliIo.js'
import { parsePublicKey } from '../../../src/crypto/ed25519.js'
import type { RunningGateway } from '../../../src/main.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { anvilUrl, demoInstance, fixtureAddresses, freshUser, tokenCall } from '../pipeline/metaTxSetup.js'

const harness = createGatewayHarness()
const dataDir = mkdtempSync(join(tmpdir(), 'intentgate-audit-api-'))
let gateway: RunningGateway
let instanceId: string
let allowed: { id: string; logIndex: number }
let denied: { id: string; logIndex: number }
let outcomeIndex: number
const txHash = `0x${'7e'.repeat(32)}`

const b64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'))
const audit = (path: string, bearer = harness.keys.admin.auditor) =>
  callJson(gateway.url, 'GET', path, { bearer })

beforeAll(async () => {
  gateway = await harness.start({ DATA_DIR: dataDir })
  const addresses = await fixtureAddresses()
  const instance = await demoInstance(harness, gateway)
  instanceId = instance.instanceId
  const submit = async (to: `0x${string}`, data: `0x${string}`) => {
    const body = await signForwardRequest({
      account: freshUser(),
      rpcUrl: anvilUrl,
      forwarder: addresses.forwarder,
      to,
      data,
    })
    const response = await callJson(gateway.url, 'POST', '/v1/meta-transactions', {
      bearer: instance.token,
      body,
    })
    const attestation = (response.body.attestation ?? response.body.error?.attestation) as {
      logIndex: number
      envelope: { payload: string }
    }
    // Refusals carry no id; the signed statement names the request either way.
    const statement = JSON.parse(Buffer.from(attestation.envelope.payload, 'base64').toString('utf8'))
    return { id: statement.predicate.intent.requestDigest as string, logIndex: attestation.logIndex }
  }
  const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })
  allowed = await submit(addresses.targets.communityPoll, vote)
  denied = await submit(addresses.targets.demoToken, tokenCall('mint', [freshUser().address, 1n]))
  // The relay worker attests outcomes through the same attestor; here the test plays the worker.
  const decisionBytes = await gateway.services.log.entry(allowed.logIndex)
  const outcome = await gateway.services.pipeline.attestor.attestOutcome({
    requestDigest: allowed.id,
    decisionEntry: {
      logIndex: allowed.logIndex,
      envelopeDigest: logEntryDigest(decisionBytes),
    },
    outcome: { status: 'confirmed', chainId: 31337, txHash, gasUsed: 50_000n },
  })
  outcomeIndex = outcome.index
})
afterAll(() => harness.stopAll())

describe('the auditor API', () => {
  test('needs an admin key; auditors and operators may read', async () => {
    expect((await callJson(gateway.url, 'GET', '/v1/audit/checkpoint')).body.error?.code).toBe(
      'UNAUTHENTICATED',
    )
    expect((await audit('/v1/audit/checkpoint', harness.keys.admin.operator)).status).toBe(200)
  })

  test('keys and checkpoint: the checkpoint verifies under the published log key', async () => {
    const keys = (await audit('/v1/audit/keys')).body as {
      log: { origin: string; verifierKey: string; publicKey: string }
      attestation: { keyid: string; publicKey: string }[]
    }
    expect(keys.attestation).toStrictEqual([
      { keyid: harness.keys.attestationKey.keyid, publicKey: expect.stringMatching(/^ed25519:/) },
    ])
    const checkpoint = (await audit('/v1/audit/checkpoint')).body as {
      note: string
      size: number
      root: string
    }
    const verifier = { ...parseVerifierKey(keys.log.verifierKey), origin: keys.log.origin }
    expect(Buffer.from(verifier.publicKey.raw)).toStrictEqual(Buffer.from(harness.keys.logKey.raw))
    const verified = verifyCheckpoint(checkpoint.note, verifier)
    expect(verified.ok && verified.checkpoint.size).toBe(checkpoint.size)
    expect(checkpoint.size).toBe(outcomeIndex + 1)
  })

  test('an entry comes with its envelope, statement and an inclusion proof against the latest checkpoint', async () => {
    const { body } = await audit(`/v1/audit/entries/${denied.logIndex}`)
    const entry = body as {
      leafHash: string
      envelope: Parameters<typeof encodeLogEntry>[0]
      statement: { predicate: { decision: { allow: boolean } } }
      summary: { decision: string; reasons: string[] }
      inclusion: { treeSize: number; root: string; proof: string[] }
      checkpoint: { note: string }
    }
    const bytes = encodeLogEntry(entry.envelope)
    expect(Buffer.from(hashLeaf(bytes)).toString('base64')).toBe(entry.leafHash)
    expect(
      openLogEntry(bytes, [
        parsePublicKey(`ed25519:${Buffer.from(harness.keys.attestationKey.raw).toString('base64')}`),
      ]).ok,
    ).toBe(true)
    expect(entry.summary).toMatchObject({ decision: 'deny', reasons: ['SELECTOR_NOT_ALLOWED'] })
    expect(entry.statement.predicate.decision.allow).toBe(false)
    const proof = entry.inclusion.proof.map(b64)
    expect(
      verifyInclusionProof(
        hashLeaf(bytes),
        denied.logIndex,
        entry.inclusion.treeSize,
        proof,
        b64(entry.inclusion.root),
      ),
    ).toBe(true)
    expect(entry.checkpoint.note).toContain(`\n${entry.inclusion.treeSize}\n${entry.inclusion.root}\n`)
  })

  test('entries are filtered by decision, reason, template, instance, kind, index and time, and paginated', async () => {
    const list = async (query: string) =>
      (await audit(`/v1/audit/entries?${query}`)).body as {
        treeSize: number
        entries: { index: number; kind: string; decision?: string }[]
        next: number | null
      }
    expect((await list('decision=deny')).entries.map((entry) => entry.index)).toStrictEqual([denied.logIndex])
    expect((await list('reason=SELECTOR_NOT_ALLOWED')).entries.map((entry) => entry.index)).toStrictEqual([
      denied.logIndex,
    ])
    expect((await list(`instance=${instanceId}&kind=decision`)).entries.map((e) => e.index)).toStrictEqual([
      allowed.logIndex,
      denied.logIndex,
    ])
    expect((await list(`instance=${instanceId}&kind=outcome`)).entries.map((e) => e.index)).toStrictEqual([
      outcomeIndex,
    ])
    expect((await list('kind=admin-action')).entries.length).toBeGreaterThanOrEqual(2)
    expect((await list('since=2000-01-01T00:00:00Z&until=2001-01-01T00:00:00Z')).entries).toStrictEqual([])
    const first = await list('limit=2')
    expect(first.entries.map((entry) => entry.index)).toStrictEqual([0, 1])
    expect(first.next).toBe(2)
    const rest = await list(`limit=500&cursor=${first.next}&end=${outcomeIndex}`)
    expect(rest.entries.map((entry) => entry.index).at(-1)).toBe(outcomeIndex - 1)
    expect(rest.next).toBeNull()
    const withEnvelope = await list(`start=${denied.logIndex}&end=${denied.logIndex + 1}&include=envelope`)
    expect(withEnvelope.entries[0]).toHaveProperty('envelope.payloadType', 'application/vnd.in-toto+json')
  })

  test('lookups by request digest and by tx hash give the decision and its outcome', async () => {
    const byTx = await audit(`/v1/audit/transactions/${txHash.toUpperCase().replace('0X', '0x')}`)
    expect(byTx.body).toMatchObject({ requestDigests: [allowed.id] })
    expect((byTx.body.entries as { index: number }[]).map((entry) => entry.index)).toStrictEqual([
      allowed.logIndex,
      outcomeIndex,
    ])
    const byDigest = await audit(`/v1/audit/requests/${denied.id}`)
    expect((byDigest.body.entries as { index: number }[]).map((entry) => entry.index)).toStrictEqual([
      denied.logIndex,
    ])
    const missing = await audit(`/v1/audit/user-operations/0x${'00'.repeat(32)}`)
    expect({ status: missing.status, code: missing.body.error?.code }).toStrictEqual({
      status: 404,
      code: 'LOG_ENTRY_NOT_FOUND',
    })
  })

  test('consistency proofs verify between the sizes asked for', async () => {
    const { body } = await audit('/v1/audit/consistency?first=2')
    const answer = body as {
      first: number
      second: number
      firstRoot: string
      secondRoot: string
      proof: string[]
      checkpoint: { root: string }
    }
    expect(answer.second).toBe(outcomeIndex + 1)
    expect(answer.checkpoint.root).toBe(answer.secondRoot)
    expect(
      verifyConsistencyProof(
        2,
        answer.second,
        b64(answer.firstRoot),
        b64(answer.secondRoot),
        answer.proof.map(b64),
      ),
    ).toBe(true)
  })

  test('bad input is a 400 or 404 with a stable code, never a 5xx', async () => {
    const cases: [string, number, string][] = [
      ['/v1/audit/entries?decision=maybe', 400, 'INVALID_REQUEST'],
      ['/v1/audit/entries?limit=0', 400, 'INVALID_REQUEST'],
      ['/v1/audit/entries?since=yesterday', 400, 'INVALID_REQUEST'],
      ['/v1/audit/entries?colour=red', 400, 'INVALID_REQUEST'],
      ['/v1/audit/entries/-1', 400, 'INVALID_REQUEST'],
      ['/v1/audit/entries/1e3', 400, 'INVALID_REQUEST'],
      ['/v1/audit/entries/99999', 404, 'LOG_ENTRY_NOT_FOUND'],
      ['/v1/audit/consistency', 400, 'INVALID_REQUEST'],
      ['/v1/audit/consistency?first=5&second=2', 400, 'INVALID_REQUEST'],
      ['/v1/audit/consistency?first=1&second=99999', 400, 'INVALID_REQUEST'],
      ['/v1/audit/transactions/0x12', 400, 'INVALID_REQUEST'],
    ]
    for (const [path, status, code] of cases) {
      const response = await audit(path)
      expect({ path, status: response.status, code: response.body.error?.code }).toStrictEqual({
        path,
        status,
        code,
      })
    }
  })
})

describe('intentgate audit against a running gateway', () => {
  async function cli(args: string[]) {
    let stdout = ''
    let stderr = ''
    const io: CliIo = {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      env: { INTENTGATE_ADMIN_KEY: harness.keys.admin.auditor },
    }
    return { code: await runAudit(args, io), stdout, stderr }
  }

  test('verifies the live log from its directory and through the API, against one state', async () => {
    const keysFile = join(dataDir, '..', `keys-${process.pid}.json`)
    writeFileSync(keysFile, JSON.stringify((await audit('/v1/audit/keys')).body))
    const state = join(dataDir, '..', `state-${process.pid}.json`)
    const fromDir = await cli(['verify', dataDir, '--key', keysFile, '--state', state])
    expect(fromDir).toMatchObject({ code: 0, stderr: '' })
    expect(fromDir.stdout).toMatch(/^OK intentgate\/gw-1: \d+ entries \(2 decisions, 1 outcomes, /)
    const fromApi = await cli(['verify', gateway.url, '--key', keysFile, '--state', state])
    expect(fromApi).toMatchObject({ code: 0, stderr: '' })
    expect(fromApi.stdout).toContain('consistent with the tree of')
  })

  test('shows and exports through the API with the same filters', async () => {
    const shown = await cli(['show', gateway.url, '--decision', 'deny'])
    expect(shown.stdout.trim().split('\n')).toStrictEqual([
      expect.stringMatching(new RegExp(`^#${denied.logIndex} .*SELECTOR_NOT_ALLOWED`)),
    ])
    const exported = await cli(['export', gateway.url, '--tx', txHash])
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines.map((line) => line.index)).toStrictEqual([outcomeIndex])
    expect(lines[0]).toMatchObject({
      summary: { kind: 'outcome', txHash },
      statement: { predicate: { outcome: { txHash } } },
    })
    const one = await cli(['show', gateway.url, '--index', String(allowed.logIndex)])
    expect(JSON.parse(one.stdout)).toHaveProperty('inclusion.proof')
  })
})
