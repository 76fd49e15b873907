import { readFile, writeFile } from 'node:fs/promises'
import { type Address, encodeFunctionData } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { communityPollAbi } from '../chain/artifacts/CommunityPoll.js'
import { createIntentGateClient } from '../client/index.js'
import { terminalRequestStatuses } from '../client/types.js'

/** What `npm run dev` leaves for `npm run demo`: where the gateway is, and a dev token for its demo instance. */
export type DevSession = {
  gatewayUrl: string
  token: string
  rpcUrl: string
  forwarder: Address
  poll: Address
}

/** Where the dev session is written; under .data, which git ignores. The token in it is a dev token. */
export const devSessionFile = '.data/dev-session.json'

export async function writeDevSession(session: DevSession): Promise<void> {
  await writeFile(devSessionFile, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 })
}

/**
 * `npm run demo`, against a running `npm run dev`: a new user votes through `intentgate/client`
 * (nonce read, EIP-712 signed, submitted), and the demo prints every status the request passes
 * through until it is final, then the outcome and its attestation.
 */
export async function runMetaTxDemo(
  say: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
) {
  const session = await readDevSession()
  const client = createIntentGateClient({
    url: session.gatewayUrl,
    token: session.token,
    rpcUrl: session.rpcUrl,
    forwarder: session.forwarder,
  })
  const account = privateKeyToAccount(generatePrivateKey())
  const data = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })
  say(`a new user ${account.address} votes in the poll at ${session.poll} through ${session.gatewayUrl}`)
  const sent = await client.sendMetaTransaction({ account, to: session.poll, data })
  say(`  ${sent.status.padEnd(10)} ${sent.id} (decision attested at log index ${sent.attestation.logIndex})`)
  let last: string = sent.status
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const record = await client.getRequest(sent.id)
    if (record.status !== last) {
      last = record.status
      say(`  ${record.status.padEnd(10)} ${'txHash' in record && record.txHash ? `tx ${record.txHash}` : ''}`)
    }
    if (terminalRequestStatuses.includes(record.status)) {
      if ('outcomeAttestation' in record && record.outcomeAttestation) {
        const statement = JSON.parse(
          Buffer.from(record.outcomeAttestation.envelope.payload, 'base64').toString('utf8'),
        )
        say(`  outcome attestation (log index ${record.outcomeAttestation.logIndex}):`)
        say(JSON.stringify(statement.predicate, null, 2).replace(/^/gm, '    '))
      }
      if (record.status !== 'confirmed') process.exitCode = 1
      return record
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`request ${sent.id} was not final within 60 s (last status ${last})`)
}

async function readDevSession(): Promise<DevSession> {
  try {
    return JSON.parse(await readFile(devSessionFile, 'utf8')) as DevSession
  } catch {
    throw new Error(
      `no ${devSessionFile}: start the gateway with \`npm run dev\` first, then run \`npm run demo\``,
    )
  }
}
