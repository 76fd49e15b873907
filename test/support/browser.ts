import { existsSync, mkdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'
import { repoRoot } from './paths.js'

/** Debian's Chromium; `.ci/run` installs it with apt-get when it is absent. */
export const chromiumPath = '/usr/bin/chromium'

/** Where browser tests leave their screenshots (git-ignored). */
export const screenshotDir = join(repoRoot, 'test-output')

const headlessFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Starts Debian's Chromium headless with a fresh profile directory of its own, so nothing a
 * previous run stored (cookies, pinned keys) leaks in. `close` stops it and deletes the profile.
 */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(chromiumPath))
    throw new Error(
      `${chromiumPath} is missing: install it with \`apt-get install -y chromium\` (.ci/run does)`,
    )
  mkdirSync(screenshotDir, { recursive: true })
  const profile = await mkdtemp(join(tmpdir(), 'intentgate-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: headlessFlags,
    viewport: { width: 1280, height: 900 },
  })
  return {
    context,
    async close() {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}
