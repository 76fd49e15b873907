import { type FileHandle, open, readFile } from 'node:fs/promises'

/** Counts every fsync the log issues, so group commit can be measured and exported as a metric. */
export type SyncCounter = { syncs: number }

/** Writes all of `bytes` at the end of an append-mode file; a short write is continued, not lost. */
export async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let written = 0
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written)
    written += bytesWritten
  }
}

/** fdatasync: the data and the file size are on disk when it resolves, which is all a log needs. */
export async function syncData(handle: FileHandle, counter: SyncCounter): Promise<void> {
  await handle.datasync()
  counter.syncs += 1
}

/**
 * fsyncs a directory, so a file just created in it survives a crash: on Linux a new file's name is
 * only durable once its directory is synced.
 */
export async function syncDirectory(path: string, counter: SyncCounter): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
    counter.syncs += 1
  } finally {
    await handle.close()
  }
}

/** Cuts a file to `length` bytes and makes the cut durable. */
export async function truncateDurably(path: string, length: number, counter: SyncCounter): Promise<void> {
  const handle = await open(path, 'r+')
  try {
    await handle.truncate(length)
    await syncData(handle, counter)
  } finally {
    await handle.close()
  }
}

/** Reads a whole file, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
