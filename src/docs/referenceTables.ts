import { describeSettings } from '../config/schema.js'
import { errorCatalogue } from '../errors/codes.js'
import { policyReasonCodes } from '../policy/reasonCodes.js'
import { communityPollManifest } from '../templates/exampleManifest.js'

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

/** Markdown table of the reason codes policies and the policy runtime give. */
export function policyReasonsTable(): string {
  const rows = Object.entries(policyReasonCodes).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`)
  return ['| reason | meaning |', '| --- | --- |', ...rows].join('\n')
}

/** The full demo manifest, as the README shows it: the same document dev seeding signs. */
export function exampleManifestBlock(): string {
  const manifest = communityPollManifest({
    chainId: 31337,
    expiresAt: '2027-06-30T00:00:00Z',
    poll: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9',
    token: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707',
  })
  return ['```json', JSON.stringify(manifest, null, 2), '```'].join('\n')
}

/** The README blocks kept in sync with the code, by marker name. */
export const readmeBlocks: Record<string, () => string> = {
  settings: settingsTable,
  'error-codes': errorCodesTable,
  'example-manifest': exampleManifestBlock,
  'policy-reasons': policyReasonsTable,
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
