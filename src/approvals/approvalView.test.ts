import { describe, expect, test } from 'vitest'
import { inTotoPayloadType } from '../attest/statementSchemas.js'
import { buildDecisionStatement } from '../attest/statements.js'
import { formatApprovals } from '../cli/approvals.js'
import { canonicalJson } from '../crypto/canonicalJson.js'
import type { Intent } from '../intents/intent.js'
import type { RequestRecord } from '../requests/requestStore.js'
import type { ApprovalEntry } from './approvalStore.js'
import { approvalViewOf } from './approvalView.js'

const id = `0x${'ab'.repeat(32)}` as const
const intent: Intent = {
  kind: 'meta-tx',
  chainId: 31337,
  sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  calls: [
    {
      path: '0',
      depth: 0,
      role: 'call',
      to: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707',
      value: '0',
      selector: '0x095ea7b3',
      dataHash: `0x${'11'.repeat(32)}`,
      dataLength: 68,
      decoded: {
        standard: 'erc20',
        function: 'approve',
        args: { spender: '0x000000000000000000000000000000000000bEEF', amount: '11' },
      },
    },
  ],
  gas: { limit: '100000', maxFeePerGas: '2000000000', maxCostWei: '200000000000000' },
  validUntil: 1_900_000_600,
  nonce: '0',
  requestDigest: id,
}
const statement = buildDecisionStatement({
  requestDigest: id,
  decision: { allow: false, reasons: [{ code: 'APPROVAL_REQUIRED', message: 'approve amounts total 11' }] },
  approval: { required: 2, reason: 'approve amounts total 11' },
  template: { id: 'community-poll', digest: `sha256:${'cd'.repeat(32)}` },
  instance: { id: 'inst_1' },
  policy: { revision: 'builtin', digest: `sha256:${'ef'.repeat(32)}` },
  intent,
  limits: [],
  decidedAt: '2030-03-17T17:46:40.000Z',
  gateway: { id: 'gw-1' },
})
const envelope = {
  payloadType: inTotoPayloadType,
  payload: Buffer.from(canonicalJson(statement)).toString('base64'),
  signatures: [],
}
const record = {
  id,
  kind: 'meta-tx',
  chainId: 31337,
  instanceId: 'inst_1',
  templateId: 'community-poll',
  sender: intent.sender,
  createdAt: '2030-03-17T17:46:40.000Z',
  decision: statement.predicate.decision,
  decisionAttestation: { logIndex: 9, envelope },
  answer: { kind: 'accepted', status: 202, body: {} },
  status: 'awaiting_approval',
  approval: { required: 2, reason: 'approve amounts total 11', expiresAt: 1_900_003_600, approvals: [] },
  nonceKey: 'n',
} satisfies RequestRecord
const entry: ApprovalEntry = {
  id,
  kind: 'meta-tx',
  status: 'pending',
  required: 2,
  reason: 'approve amounts total 11',
  createdAt: 1_900_000_000,
  expiresAt: 1_900_003_600,
  submitters: ['alice'],
  votes: [{ by: 'bob', at: 1_900_000_060 }],
  voteAttestations: {},
}

describe('approvalViewOf', () => {
  test('shows operators the intent the held decision attested, who approved, who may not, and until when', () => {
    expect(approvalViewOf(entry, record)).toStrictEqual({
      id,
      kind: 'meta-tx',
      status: 'pending',
      requestStatus: 'awaiting_approval',
      chainId: 31337,
      templateId: 'community-poll',
      templateDigest: `sha256:${'cd'.repeat(32)}`,
      instanceId: 'inst_1',
      sender: intent.sender,
      intent,
      reason: 'approve amounts total 11',
      required: 2,
      approvals: [{ by: 'bob', at: '2030-03-17T17:47:40.000Z' }],
      submitters: ['alice'],
      createdAt: '2030-03-17T17:46:40.000Z',
      expiresAt: '2030-03-17T18:46:40.000Z',
      decisionAttestation: { logIndex: 9 },
    })
  })

  test('says how a decided one ended', () => {
    const rejected = approvalViewOf(
      {
        ...entry,
        status: 'rejected',
        closedBy: 'erin',
        closedAt: 1_900_000_120,
        closeReason: { code: 'APPROVAL_REJECTED', message: 'rejected by erin: no' },
      },
      { ...record, status: 'awaiting_approval' },
    )
    expect(rejected.closed).toStrictEqual({
      at: '2030-03-17T17:48:40.000Z',
      by: 'erin',
      reason: { code: 'APPROVAL_REJECTED', message: 'rejected by erin: no' },
    })
  })
})

describe('formatApprovals', () => {
  test('one block per held request, with its decoded calls', () => {
    const text = formatApprovals([approvalViewOf(entry, record)])
    expect(text).toContain(`${id}  meta-tx on chain 31337, expires 2030-03-17T18:46:40.000Z`)
    expect(text).toContain('approvals 1 of 2: bob; submitters (may not approve): alice')
    expect(text).toContain(
      'call 0 to 0x5FC8d32690cc91D4c39d9d3abcBD16989F875707 value 0: approve(amount=11, spender=0x000000000000000000000000000000000000bEEF)',
    )
    expect(formatApprovals([])).toBe('no request is waiting for approval\n')
  })
})
