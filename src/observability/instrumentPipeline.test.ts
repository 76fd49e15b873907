import { describe, expect, test } from 'vitest'
import { primaryReason } from './instrumentPipeline.js'

describe('primaryReason', () => {
  test('is the first reason code, none for an approval, OTHER for a code that is not a code', () => {
    expect(primaryReason([])).toBe('none')
    expect(primaryReason([{ code: 'LIMIT_EXCEEDED' }, { code: 'TARGET_NOT_ALLOWED' }])).toBe('LIMIT_EXCEEDED')
    expect(primaryReason([{ code: 'instance inst_123 said no' }])).toBe('OTHER')
  })
})
