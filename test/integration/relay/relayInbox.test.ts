import { randomBytes } from 'node:crypto'
import { Queue } from 'bullmq'
import type { Hex } from 'viem'
import { expect, test } from 'vitest'
import type { RelayJob } from '../../../src/relay/relayJob.js'
import { createRelayQueues, relayQueueName } from '../../../src/relay/relayQueue.js'
import type { RequestRecord, RequestStore } from '../../../src/requests/requestStore.js'
import { ownRedisServer } from '../../support/ownRedisServer.js'

// Its own redis-server: the test counts the commands Redis ran.
const server = ownRedisServer()

const digest = (): Hex => `0x${randomBytes(32).toString('hex')}`
const jobOf = (requestDigest: Hex): RelayJob =>
  ({ v: 1, kind: 'meta-tx', requestDigest, chainId: 31337 }) as unknown as RelayJob

test('the inbox sweep looks at a backlog of jobs still to run in O(1) each, without reading a record, and re-enqueues what was never queued', async () => {
  const prefix = `igtest:inbox:${randomBytes(3).toString('hex')}:`
  const clock = { now: 1_000_000 }
  const queues = createRelayQueues({
    connection: server.redis(),
    prefix,
    chainIds: [31337],
    now: () => clock.now,
  })
  const records = new Map<string, Partial<RequestRecord>>()
  let recordReads = 0
  const requests: Pick<RequestStore, 'get'> = {
    get: async (id) => {
      recordReads++
      return records.get(id) as RequestRecord | undefined
    },
  }
  try {
    // A backlog of 1,000 queued requests whose jobs wait for a worker ...
    const backlog = Array.from({ length: 1_000 }, digest)
    for (const id of backlog) {
      await queues.hold(jobOf(id))
      await queues.enqueue(jobOf(id))
    }
    // ... one recorded but never enqueued (its process died in between) ...
    const stranded = digest()
    await queues.hold(jobOf(stranded))
    records.set(stranded, { status: 'queued', relayJob: jobOf(stranded) })
    // ... and one that moved on without its job releasing it.
    const settled = digest()
    await queues.hold(jobOf(settled))
    records.set(settled, { status: 'confirmed' })

    clock.now += 20_000
    const lposBefore = await server.calls('lpos')
    let enqueued = 0
    for (let pass = 0; pass < 6; pass++) enqueued += await queues.sweepInbox(31337, requests, 10_000)

    // BullMQ's getJobState finds a waiting job by LPOS over the whole wait list: never used here.
    expect((await server.calls('lpos')) - lposBefore).toBe(0)
    // Only the two entries without a job still to run were read.
    expect(recordReads).toBe(2)
    expect(enqueued).toBe(1)
    const queue = new Queue(relayQueueName(31337), { connection: server.redis(), prefix: `${prefix}bull` })
    try {
      expect(await queue.getJobState(stranded)).toBe('waiting')
      expect(await queue.getWaitingCount()).toBe(1_001)
    } finally {
      await queue.close()
    }
    const inbox = await server.redis().zrange(`${prefix}relay:inbox:31337`, 0, -1)
    expect(inbox).toHaveLength(1_001)
    expect(inbox).not.toContain(settled)
    // Every entry looked at went to the back of the sweep.
    const oldest = await server.redis().zrange(`${prefix}relay:inbox:31337`, 0, 0, 'WITHSCORES')
    expect(Number(oldest[1])).toBe(clock.now)
  } finally {
    await queues.close()
  }
})
