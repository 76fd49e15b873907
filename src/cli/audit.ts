import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { formatAuditProblem } from '../attest/auditProblem.js'
import { formatVerifierState, readVerifierState } from '../attest/verifierState.js'
import { type AcceptedCheckpoint, verifyLogView } from '../attest/verifyLogView.js'
import { type EntryQuery, entryQuerySchema } from '../audit/entryQuery.js'
import type { EntrySummary } from '../audit/entrySummary.js'
import { callAdmin } from './adminClient.js'
import { readVerificationKeys } from './auditKeys.js'
import { auditSource, type ListedEntry, listEntries, loadLogView } from './auditSource.js'
import { CliError, type CliIo } from './cliIo.js'

export const auditUsage = `intentgate audit <command> <log-dir | gateway-url>

  verify SOURCE --key KEY [--key KEY] [--state FILE | --no-state] [--origin ORIGIN]
        check every entry's signature and leaf hash, the tree against every checkpoint, and that
        the tree extends the one accepted last time (kept in --state, by default
        ~/.intentgate/audit/<origin>.json). KEY is the log's C2SP verifier key, an ed25519: attestation
        key, or a file of either or of GET /v1/audit/keys. Exits 3 naming the first problem.
  show SOURCE [FILTERS] [--index N]
        print entries one a line, or entry N in full
  export SOURCE [FILTERS] [--out FILE]
        write entries as JSON lines: index, entryDigest, summary, envelope, statement

  FILTERS: --start N --end N --kind decision|outcome|approval|admin-action --template ID --instance ID
           --decision allow|deny|held --reason CODE --since ISO --until ISO --request DIGEST
           --tx HASH --user-op HASH --limit N (show: 100 by default) --cursor N
  A gateway URL needs an auditor key: --admin-key or INTENTGATE_ADMIN_KEY.
`

/** Exit code of a log that fails verification, apart from 1 (could not run) and 2 (usage). */
export const verificationFailedExitCode = 3

const filterFlags = {
  start: 'start',
  end: 'end',
  kind: 'kind',
  template: 'template',
  instance: 'instance',
  decision: 'decision',
  reason: 'reason',
  since: 'since',
  until: 'until',
  request: 'requestDigest',
  tx: 'txHash',
  'user-op': 'userOpHash',
  cursor: 'cursor',
  limit: 'limit',
} as const

/** `intentgate audit …` */
export async function runAudit(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      key: { type: 'string', multiple: true },
      state: { type: 'string' },
      'no-state': { type: 'boolean' },
      origin: { type: 'string' },
      index: { type: 'string' },
      out: { type: 'string' },
      'admin-key': { type: 'string' },
      ...Object.fromEntries(Object.keys(filterFlags).map((flag) => [flag, { type: 'string' as const }])),
    },
    allowPositionals: true,
    strict: true,
  })
  const flags = values as Record<string, string | undefined>
  if (command === 'verify') return verify(positionals[0], values, io)
  if (command === 'show' || command === 'export') {
    const source = auditSource(positionals[0], values, io.env)
    const raw = Object.fromEntries(
      Object.entries(filterFlags).flatMap(([flag, name]) =>
        flags[flag] === undefined ? [] : [[name, flags[flag]]],
      ),
    ) as Record<string, string>
    const query = parseQuery(raw)
    if (command === 'show' && values.index !== undefined) return showOne(source, values.index, io)
    const max = command === 'show' || raw.limit !== undefined ? query.limit : Number.POSITIVE_INFINITY
    const entries = await listEntries(source, query, raw, max)
    if (command === 'show') {
      for (const entry of entries) io.stdout(`${formatSummary(entry.summary)}\n`)
      if (entries.length === max)
        io.stdout(`… more may follow: --cursor ${(entries.at(-1)?.index ?? 0) + 1}\n`)
      return 0
    }
    const lines = entries.map((entry) => `${JSON.stringify(exportLine(entry))}\n`).join('')
    if (values.out) {
      await writeFile(values.out, lines)
      io.stderr(`wrote ${entries.length} entries to ${values.out}\n`)
    } else io.stdout(lines)
    return 0
  }
  io.stdout(auditUsage)
  return command === undefined || command === 'help' ? 0 : 2
}

async function verify(
  location: string | undefined,
  values: { key?: string[]; state?: string; 'no-state'?: boolean; origin?: string; 'admin-key'?: string },
  io: CliIo,
): Promise<number> {
  const keys = readVerificationKeys(values.key ?? [], values.origin)
  const source = auditSource(location, values, io.env)
  const statePath = values['no-state']
    ? undefined
    : (values.state ?? defaultStatePath(keys.log.origin, io.env))
  const state = statePath ? await loadState(statePath, keys.log) : undefined
  const read = await loadLogView(source)
  const result = read.ok
    ? verifyLogView({ view: read.view, keys, state })
    : { ok: false as const, problem: read.problem }
  if (!result.ok) {
    io.stderr(`FAIL ${formatAuditProblem(result.problem)}\n`)
    return verificationFailedExitCode
  }
  const { kinds } = result
  io.stdout(
    `OK ${keys.log.origin}: ${result.size} entries (${kinds.decision} decisions, ${kinds.outcome} outcomes, ` +
      `${kinds.approval} approval events, ${kinds.adminAction} admin actions) verified against ${result.checkpoints} checkpoints\n` +
      `   latest checkpoint: size ${result.latest.size}, root ${Buffer.from(result.latest.root).toString('base64')}\n`,
  )
  if (result.unsignedEntries > 0)
    io.stdout(
      `   ${result.unsignedEntries} entries past the latest checkpoint are signed but not yet covered by one\n`,
    )
  if (!statePath) return 0
  io.stdout(
    state
      ? `   consistent with the tree of ${state.size} entries accepted before (${statePath})\n`
      : `   no saved state: this tree is accepted as the first (${statePath})\n`,
  )
  await saveState(statePath, result.state)
  return 0
}

/** ~/.intentgate/audit/<origin>.json, with the origin made a safe file name. */
function defaultStatePath(origin: string, env: Record<string, string | undefined>): string {
  const home = env.HOME ?? env.USERPROFILE
  if (!home) throw new CliError('no home directory to keep the state in: pass --state FILE or --no-state')
  return join(home, '.intentgate', 'audit', `${origin.replace(/[^A-Za-z0-9._-]/g, '_')}.json`)
}

async function loadState(
  path: string,
  verifier: Parameters<typeof readVerifierState>[1],
): Promise<AcceptedCheckpoint | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new CliError(`cannot read the state file ${path}`)
  }
  const state = readVerifierState(text, verifier)
  // Never overwritten: a verifier that forgot what it saw could no longer tell a fork.
  if (!state.ok) throw new CliError(`${path}: ${state.message}; move it away only if you know why it changed`)
  return state.state
}

/** Written to a temporary file and renamed, so a crash never leaves half a state behind. */
async function saveState(path: string, state: AcceptedCheckpoint): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, formatVerifierState(state, new Date()))
  await rename(temporary, path)
}

function parseQuery(raw: Record<string, string>): EntryQuery {
  const parsed = entryQuerySchema.safeParse(raw)
  if (parsed.success) return parsed.data
  const flagOf = (name: PropertyKey) =>
    Object.entries(filterFlags).find(([, field]) => field === name)?.[0] ?? String(name)
  const issue = parsed.error.issues[0]
  throw new CliError(`--${flagOf(issue?.path[0] ?? '')}: ${issue?.message ?? 'invalid'}`)
}

async function showOne(source: ReturnType<typeof auditSource>, index: string, io: CliIo): Promise<number> {
  const at = parseQuery({ start: index }).start ?? 0
  if (source.kind === 'url') {
    io.stdout(
      `${JSON.stringify(await callAdmin(source.target, 'GET', `/v1/audit/entries/${at}`), null, 2)}\n`,
    )
    return 0
  }
  const [entry] = await listEntries(source, parseQuery({ start: String(at), end: String(at + 1) }), {}, 1)
  if (!entry) throw new CliError(`the log has no entry ${at}`)
  io.stdout(`${JSON.stringify(exportLine(entry), null, 2)}\n`)
  return 0
}

function exportLine(entry: ListedEntry) {
  const { index, entryDigest, summary, envelope, statement } = entry
  return { index, entryDigest, summary, envelope, statement }
}

/** One line per entry: index, time, kind, then what matters for that kind. */
export function formatSummary(summary: EntrySummary): string {
  const head = `#${String(summary.index).padEnd(6)} ${summary.time}  ${summary.kind.padEnd(12)}`
  const reasons = summary.reasons && summary.reasons.length > 0 ? `  ${summary.reasons.join(',')}` : ''
  if (summary.kind === 'decision')
    return `${head} ${(summary.decision ?? '').padEnd(5)}  ${summary.templateId} ${summary.instanceId}  request ${summary.requestDigest}${reasons}`
  if (summary.kind === 'outcome') {
    const hash = summary.txHash ? `  tx ${summary.txHash}` : ''
    const userOp = summary.userOpHash ? `  userOp ${summary.userOpHash}` : ''
    return `${head} ${(summary.status ?? '').padEnd(9)}  request ${summary.requestDigest}${hash}${userOp}${reasons}`
  }
  if (summary.kind === 'approval') {
    const by = summary.actor ? ` by ${summary.actor}` : ''
    return `${head} ${(summary.status ?? '').padEnd(9)}  request ${summary.requestDigest}  ${summary.action}${by}${reasons}`
  }
  return `${head} ${summary.action} ${summary.target} by ${summary.actor}`
}
