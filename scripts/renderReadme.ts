import { readFileSync, writeFileSync } from 'node:fs'
import { renderReadmeBlocks } from '../src/docs/referenceTables.js'

// Regenerates the README tables that mirror the code (settings, error codes).
const path = new URL('../README.md', import.meta.url)
writeFileSync(path, renderReadmeBlocks(readFileSync(path, 'utf8')))
