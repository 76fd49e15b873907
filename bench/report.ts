import { readFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import type { LoadResult } from './loadClient.js'

/**
 * One line of the table: a figure, the baseline it is divided by (measured in the same run), the
 * ratio, the target, and whether the target is met. `met` is left out where there is no target.
 */
export type Row = {
  measure: string
  value: string
  baseline: string
  ratio: number
  target: string
  met?: boolean
}

export function row(
  measure: string,
  value: string,
  baseline: string,
  ratio: number,
  target: { text: string; met?: boolean } = { text: '—' },
): Row {
  return {
    measure,
    value,
    baseline,
    ratio: Math.round(ratio * 100) / 100,
    target: target.text,
    ...(target.met === undefined ? {} : { met: target.met }),
  }
}

/** Targets of issue 9, as the table states and checks them. */
export const targets = {
  atLeast:
    (minimum: number, unit = '') =>
    (ratio: number) => ({
      text: `≥ ${minimum}${unit}`,
      met: ratio >= minimum,
    }),
  atMost:
    (maximum: number, unit = '') =>
    (value: number) => ({
      text: `≤ ${maximum}${unit}`,
      met: value <= maximum,
    }),
}

export const rps = (result: LoadResult) => String(Math.round(result.perSecond))
export const us = (seconds: number) => (seconds * 1e6).toFixed(1)
export const ms = (value: number) => value.toFixed(1)

export function printTable(rows: readonly Row[]) {
  const header = ['measure', 'value', 'baseline (same run)', 'ratio', 'target', 'met']
  const lines = rows.map((r) => [
    r.measure,
    r.value,
    r.baseline,
    String(r.ratio),
    r.target,
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ])
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => (line[column] ?? '').length)),
  )
  const format = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`
  process.stdout.write(
    `${[format(header), format(widths.map((width) => '-'.repeat(width))), ...lines.map(format)].join('\n')}\n`,
  )
}

/** The machine a run measured, as the README reports it. */
export function machine() {
  const cores = cpus()
  return {
    cpu: cpuModel() ?? cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  }
}

function cpuModel(): string | undefined {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim()
  } catch {
    return undefined
  }
}

/** The 1, 5 and 15 minute load averages, rounded: how busy the machine was, from the run's side. */
export const loadAverage = () => loadavg().map((value) => Math.round(value * 100) / 100)
