/** What a CLI command may touch, passed in so commands run the same in tests as in a shell. */
export type CliIo = {
  stdout(text: string): void
  stderr(text: string): void
  env: Record<string, string | undefined>
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
}

/** A failure the user can fix: printed as one line, exit code 1, no stack. */
export class CliError extends Error {
  override name = 'CliError'
}
