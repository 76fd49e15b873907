import { describeSettings } from '../config/schema.js'
import { errorCatalogue } from '../errors/codes.js'

/** Markdown table of every setting, generated from the config schema so the README cannot drift. */
export function settingsTable(): string {
  const rows = describeSettings().map(
    (setting) =>
      `| \`${setting.name}\` | ${setting.defaultValue ? `\`${setting.defaultValue}\`` : ''} | ${setting.description} |`,
  )
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n')
}

/** Markdown table of the stable error codes and their HTTP status. */
export function errorCodesTable(): string {
  const rows = Object.entries(errorCatalogue).map(
    ([code, { status, description }]) => `| \`${code}\` | ${status} | ${description} |`,
  )
  return ['| code | status | meaning |', '| --- | --- | --- |', ...rows].join('\n')
}

/** The README blocks kept in sync with the code, by marker name. */
export const readmeBlocks: Record<string, () => string> = {
  settings: settingsTable,
  'error-codes': errorCodesTable,
}

/** Replaces each `<!-- name:start -->…<!-- name:end -->` block in `markdown` with its generated table. */
export function renderReadmeBlocks(markdown: string): string {
  let rendered = markdown
  for (const [name, render] of Object.entries(readmeBlocks)) {
    const pattern = new RegExp(`(<!-- ${name}:start -->)[\\s\\S]*?(<!-- ${name}:end -->)`)
    if (!pattern.test(rendered)) throw new Error(`README has no ${name} block`)
    rendered = rendered.replace(pattern, (_, start: string, end: string) => `${start}\n${render()}\n${end}`)
  }
  return rendered
}
