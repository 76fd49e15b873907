import { inspect } from 'node:util'
import { describe, expect, test } from 'vitest'
import { ConfigError, loadConfig } from './loadConfig.js'
import { describeSettings } from './schema.js'
import { redactUrl } from './secret.js'

describe('loadConfig', () => {
  test('applies every default on an empty environment', () => {
    const config = loadConfig({})
    expect(config.http).toStrictEqual({
      host: '127.0.0.1',
      port: 8080,
      bodyLimitBytes: 65_536,
      keepAliveTimeoutMs: 65_000,
    })
    expect(config.redis.url.reveal()).toBe('redis://127.0.0.1:6379')
    expect(config.redis.keyPrefix).toBe('ig:')
    expect(config.chains.map((chain) => [chain.chainId, chain.rpcUrl.reveal()])).toStrictEqual([
      [31337, 'http://127.0.0.1:8545'],
    ])
  })

  test('parses several chains and treats an empty variable as unset', () => {
    const config = loadConfig({ CHAIN_RPC_URLS: '1=https://a.example/key, 8453=http://b.example', PORT: '' })
    expect(config.chains.map((chain) => chain.chainId)).toStrictEqual([1, 8453])
    expect(config.http.port).toBe(8080)
  })

  test('reports every invalid variable by name at once', () => {
    let thrown: unknown
    try {
      loadConfig({
        PORT: 'eighty',
        CHAIN_RPC_URLS: '1=http://a,1=http://b',
        LOG_LEVEL: 'loud',
        REDIS_KEY_PREFIX: 'a b',
      })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ConfigError)
    const names = (thrown as ConfigError).issues.map((issue) => issue.split(':')[0]).sort()
    expect(names).toStrictEqual(['CHAIN_RPC_URLS', 'LOG_LEVEL', 'PORT', 'REDIS_KEY_PREFIX'])
    expect((thrown as ConfigError).issues.find((issue) => issue.startsWith('CHAIN_RPC_URLS'))).toContain(
      'chain 1 is listed twice',
    )
  })

  test('rejects a chain entry that is not chainId=url without echoing the whole value', () => {
    expect(() => loadConfig({ CHAIN_RPC_URLS: 'mainnet' })).toThrow(
      /CHAIN_RPC_URLS: expected chainId=url, got "mainnet"/,
    )
    expect(() => loadConfig({ CHAIN_RPC_URLS: '0=http://a' })).toThrow(/CHAIN_RPC_URLS/)
  })

  test('a held request must be kept past its approval window', () => {
    const config = (retention: string, window: string) => () =>
      loadConfig({ REQUEST_RETENTION_SECONDS: retention, APPROVAL_WINDOW_SECONDS: window })
    expect(config('7200', '3600')().requestRetentionSeconds).toBe(7200)
    expect(config('3600', '3600')).toThrow(
      /REQUEST_RETENTION_SECONDS: must be at least APPROVAL_WINDOW_SECONDS \+ 3600/,
    )
    // The maximum window needs more than the default retention.
    expect(config('604800', '604800')).toThrow(ConfigError)
  })

  test('never prints a secret', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://:hunter2@10.0.0.1:6379',
      CHAIN_RPC_URLS: '1=https://rpc/key-abc',
      RELAYER_KEYS: `1=0x${'ab'.repeat(32)}`,
    })
    const printed = `${JSON.stringify(config)} ${inspect(config, { depth: 5 })} ${String(config.redis.url)}`
    expect(printed).not.toContain('hunter2')
    expect(printed).not.toContain('key-abc')
    expect(printed).not.toContain('abababab')
    expect(printed).toContain('[redacted]')
  })
})

describe('RELAYER_KEYS', () => {
  test('several keys per chain form a pool; a malformed entry is named without echoing it', () => {
    const key = (byte: string) => `0x${byte.repeat(32)}`
    const config = loadConfig({ RELAYER_KEYS: `31337=${key('01')}, 31337=${key('02')},1=${key('03')}` })
    expect(config.relay.keys.map((entry) => entry.chainId)).toStrictEqual([31337, 31337, 1])
    expect(config.relay.keys[1]?.privateKey.reveal()).toBe(key('02'))
    expect(() => loadConfig({ RELAYER_KEYS: `31337=${key('01')},31337=0xdeadbeef` })).toThrow(
      /RELAYER_KEYS: entry 2: expected chainId=0x and 64 hex digits/,
    )
    expect(() => loadConfig({ RELAYER_KEYS: `31337=${key('01')},1=${key('01')}` })).toThrow(/listed twice/)
  })
})

describe('describeSettings', () => {
  test('lists every setting with a description and its default', () => {
    const settings = describeSettings()
    expect(settings.every((setting) => setting.description.length > 10)).toBe(true)
    expect(settings.find((setting) => setting.name === 'CHAIN_RPC_URLS')?.defaultValue).toBe(
      '31337=http://127.0.0.1:8545',
    )
    expect(settings.find((setting) => setting.name === 'BODY_LIMIT_BYTES')?.defaultValue).toBe('65536')
  })
})

describe('redactUrl', () => {
  test('drops credentials and query strings', () => {
    expect(redactUrl('https://user:pass@rpc.example/v2/path?apikey=1#x')).toBe('https://rpc.example/v2/path')
    expect(redactUrl('not a url')).toBe('[redacted]')
  })
})
