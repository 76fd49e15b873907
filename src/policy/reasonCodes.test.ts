import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { policyFailureCodes } from './decision.js'
import { policyReasonCodes } from './reasonCodes.js'

const regoDir = fileURLToPath(new URL('../../policies/intentgate/', import.meta.url))

test('lists exactly the codes the Rego gives, then the gateway failure codes', () => {
  const regoCodes = new Set<string>()
  for (const file of readdirSync(regoDir).filter(
    (name) => name.endsWith('.rego') && !name.endsWith('_test.rego'),
  )) {
    for (const match of readFileSync(`${regoDir}${file}`, 'utf8').matchAll(/"code": "([A-Z][A-Z0-9_]*)"/g)) {
      regoCodes.add(match[1] ?? '')
    }
  }
  const failureCodes: string[] = Object.values(policyFailureCodes)
  const documented = Object.keys(policyReasonCodes)
  expect(documented.filter((code) => !failureCodes.includes(code)).sort()).toEqual([...regoCodes].sort())
  expect(documented.filter((code) => failureCodes.includes(code)).sort()).toEqual([...failureCodes].sort())
})
