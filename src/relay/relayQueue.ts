import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { RequestStore } from '../requests/requestStore.js'
import type { QueuedJob, RelayJob } from './relayJob.js'

/**
 * One BullMQ queue per chain, named `relay-{chainId}` under the prefix `{p}bull`. The job id is
 * the request digest, so a request is queued at most once however often it is admitted.
 *
 * Admission writes the request to the chain's inbox ({p}relay:inbox:{chainId}, ZSET id -> ms)
 * before (or, through {@link RelayQueues.inboxEntry}, atomically with) its record, and before its
 * job. A process that dies between recording a request and enqueueing
 * it leaves the id in the inbox, and the worker's sweep enqueues it from the record: an approved
 * request is never stranded.
 */
export type RelayQueues = {
  /** Notes an approved request in its chain's inbox; call before recording it. */
  hold(job: RelayJob): Promise<void>
  /**
   * Where {@link RelayQueues.hold} would note `job` (the inbox key and the time as its score), for
   * a caller that notes it in the same atomic step as recording the request (RequestStore.record).
   */
  inboxEntry(job: RelayJob): InboxEntry
  /** Adds the job (once: the digest is its id); call after recording the request. */
  enqueue(job: QueuedJob): Promise<void>
  /**
   * Drops a request from its chain's inbox once its job is done with it (the request left
   * `queued`): what the sweep would do on its next look, without the sweep paying for that look.
   */
  release(chainId: number, id: string): Promise<void>
  /**
   * Re-enqueues requests held in the inbox for longer than `olderThanMs` that are still queued
   * and have no job, and drops ids that moved on. Returns how many it enqueued.
   */
  sweepInbox(chainId: number, requests: Pick<RequestStore, 'get'>, olderThanMs: number): Promise<number>
  /** Jobs waiting or running, per chain. */
  depth(chainId: number): Promise<number>
  close(): Promise<void>
}

/** A request's place in its chain's relay inbox: ZADD NX `key` `score` `requestDigest`. */
export type InboxEntry = { key: string; score: number }

export const relayQueueName = (chainId: number) => `relay-${chainId}`

/** Options every relay job gets: retried with the worker's capped backoff, forgotten once done. */
export const relayJobOptions = {
  attempts: 100_000,
  backoff: { type: 'relay' },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600 },
} as const

export function createRelayQueues(parameters: {
  /** A connection for queue commands; BullMQ duplicates it where it needs a blocking one. */
  connection: Redis
  prefix: string
  chainIds: readonly number[]
  now?: () => number
}): RelayQueues {
  const { connection, prefix, chainIds } = parameters
  const now = parameters.now ?? Date.now
  const queues = new Map(
    chainIds.map((chainId) => [
      chainId,
      new Queue(relayQueueName(chainId), { connection, prefix: `${prefix}bull` }),
    ]),
  )
  const queueOf = (chainId: number) => {
    const queue = queues.get(chainId)
    if (!queue) throw new RangeError(`no relay queue for chain ${chainId}`)
    return queue
  }
  const inboxKey = (chainId: number) => `${prefix}relay:inbox:${chainId}`
  const enqueue = async (job: QueuedJob) => {
    await queueOf(job.chainId).add('relay', job, { ...relayJobOptions, jobId: job.requestDigest })
  }
  return {
    async hold(job) {
      await connection.zadd(inboxKey(job.chainId), 'NX', now(), job.requestDigest)
    },
    inboxEntry(job) {
      return { key: inboxKey(job.chainId), score: now() }
    },
    enqueue,
    async release(chainId, id) {
      await connection.zrem(inboxKey(chainId), id)
    },
    async sweepInbox(chainId, requests, olderThanMs) {
      const queue = queueOf(chainId)
      const inbox = inboxKey(chainId)
      const ids = await connection.zrangebyscore(inbox, '-inf', now() - olderThanMs, 'LIMIT', 0, 200)
      if (ids.length === 0) return 0
      // Whether each has a job that has not finished, read from the job's hash in one round trip:
      // BullMQ's getJobState finds a waiting job by scanning the wait list (LPOS), so behind a
      // backlog of thousands each look cost Redis a walk of that list, 200 times a second.
      const reads = connection.pipeline()
      for (const id of ids) reads.hmget(queue.toKey(id), 'timestamp', 'finishedOn')
      const jobs = (await reads.exec()) ?? []
      const stillToRun: string[] = []
      let enqueued = 0
      for (const [index, id] of ids.entries()) {
        const [error, fields] = jobs[index] ?? [null, null]
        if (error) throw error
        const [addedAt, finishedOn] = (fields ?? []) as (string | null)[]
        // A job still to run (waiting, delayed for a retry, or running) will get to the request:
        // only its place in the sweep moves.
        if (addedAt && !finishedOn) {
          stillToRun.push(id)
          continue
        }
        const record = await requests.get(id)
        if (record?.status !== 'queued' || !record.relayJob) {
          await connection.zrem(inbox, id)
          continue
        }
        if (!addedAt) {
          await enqueue(record.relayJob)
          enqueued++
        } else if ((await queue.getJobState(id)) === 'failed') {
          await (await queue.getJob(id))?.retry()
          enqueued++
        }
        // Looked at now: it goes to the back of the sweep.
        stillToRun.push(id)
      }
      if (stillToRun.length > 0)
        await connection.zadd(inbox, 'XX', ...stillToRun.flatMap((id) => [now(), id]))
      return enqueued
    },
    async depth(chainId) {
      const counts = await queueOf(chainId).getJobCounts('waiting', 'active', 'delayed', 'prioritized')
      return Object.values(counts).reduce((sum, count) => sum + count, 0)
    },
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()))
    },
  }
}
