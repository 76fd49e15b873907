import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { renderReadmeBlocks, settingsTable } from './referenceTables.js'

describe('README reference tables', () => {
  test('the README tables match the code (run `npm run docs` to regenerate)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    expect(renderReadmeBlocks(readme)).toBe(readme)
  })

  test('the settings table has one row per setting', () => {
    const table = settingsTable()
    expect(table).toContain('| `REDIS_URL` | `redis://127.0.0.1:6379` |')
    expect(table.split('\n').length).toBeGreaterThan(8)
  })
})
