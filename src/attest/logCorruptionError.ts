/** What is wrong with a log's files, as a stable word a verifier or an operator can act on. */
export type LogCorruptionKind =
  | 'bad-frame'
  | 'missing-entries'
  | 'unexpected-file'
  | 'checkpoint-invalid'
  | 'checkpoint-mismatch'
  | 'entry-changed'

/**
 * The log's files are damaged in a way a crash cannot explain, so the log refuses to open (or to
 * serve an entry) rather than silently drop or accept anything. It names the first bad entry's
 * index where there is one, and the file and byte offset.
 */
export class LogCorruptionError extends Error {
  override name = 'LogCorruptionError'
  readonly kind: LogCorruptionKind
  readonly index: number | undefined
  readonly file: string | undefined
  readonly offset: number | undefined

  constructor(
    kind: LogCorruptionKind,
    message: string,
    where: { index?: number; file?: string; offset?: number } = {},
  ) {
    super(message)
    this.kind = kind
    this.index = where.index
    this.file = where.file
    this.offset = where.offset
  }
}
