import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { checkpointFileName } from './checkpointStore.js'
import { readIfExists } from './logFiles.js'
import type { LogFiles } from './logFilesView.js'

/**
 * Reads a log directory's files for an offline verifier. The checkpoint file is read before the
 * segments: a live log only grows, so entries read afterwards cover every checkpoint read before.
 * Missing directories read as empty, which the verifier then reports as a log with no checkpoint.
 */
export async function readLogDirectory(dir: string): Promise<LogFiles> {
  const checkpoints = await readIfExists(join(dir, 'checkpoints', checkpointFileName))
  const segmentsDir = join(dir, 'segments')
  const names = await listIfExists(segmentsDir)
  const segments = await Promise.all(
    names
      .filter((name) => name.endsWith('.seg'))
      .map(async (name) => ({ name, bytes: new Uint8Array(await readFile(join(segmentsDir, name))) })),
  )
  return { segments, checkpoints }
}

async function listIfExists(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}
