/** loadConfig: defaults, every rejection names its variable and never echoes a secret. */
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/load-config.js'
import { parseApiKeys } from '../../src/config/api-keys.js'

const KEYS = 'tool-a=aaaaaaaaaaaaaaaa1,tool-b=bbbbbbbbbbbbbbbb2:read'

/** Run loadConfig expecting a ConfigError; returns its message. */
function rejects(t: Assert, env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (err) {
    t.ok(err instanceof ConfigError, 'throws ConfigError')
    t.equal((err as Error).name, 'ConfigError')
    return (err as Error).message
  }
  t.fail(`accepted ${Object.keys(env).join(', ')}`)
  return ''
}
interface Assert {
  ok(value: unknown, ...msg: [] | [string]): unknown
  equal(found: unknown, wanted: unknown, ...msg: [] | [string]): unknown
  fail(...msg: [] | [string]): unknown
}

t.test('defaults with an empty environment', async (t) => {
  const c = loadConfig({})
  t.match(c, {
    HOST: '127.0.0.1',
    PORT: 3000,
    LOG_LEVEL: 'info',
    STORE_URL: 'pglite://./data/memory',
    MIGRATE_ON_START: true,
    PG_POOL_MAX: 10,
    MAX_CONTENT_BYTES: 1024 * 1024,
    BODY_LIMIT_BYTES: 2 * 1024 * 1024,
    TOKENIZER: 'o200k_base',
    PURGE_INTERVAL_SECONDS: 60,
    IDEMPOTENCY_TTL_SECONDS: 86_400,
    localMode: true,
  })
  t.same(c.MEMORY_API_KEYS, [])
  t.equal(c.MEMORY_ADMIN_KEY, undefined)
  t.ok(Object.isFrozen(c), 'the config is frozen')
})

t.test('empty strings count as unset', async (t) => {
  const c = loadConfig({ PORT: '', HOST: '', MEMORY_API_KEYS: '', LOG_LEVEL: '' })
  t.equal(c.PORT, 3000)
  t.equal(c.HOST, '127.0.0.1')
  t.same(c.MEMORY_API_KEYS, [])
})

t.test('valid values are parsed', async (t) => {
  const c = loadConfig({
    PORT: '8080', STORE_URL: 'postgres://user:pw@db:5432/mem', LOG_LEVEL: 'debug', MAX_CONTENT_BYTES: '1000',
    BODY_LIMIT_BYTES: '4096', MEMORY_API_KEYS: KEYS, MEMORY_ADMIN_KEY: 'admin-key-0123456789', TOKENIZER: 'cl100k_base',
  })
  t.match(c, { PORT: 8080, LOG_LEVEL: 'debug', MAX_CONTENT_BYTES: 1000, BODY_LIMIT_BYTES: 4096, TOKENIZER: 'cl100k_base', localMode: false })
  t.same(c.MEMORY_API_KEYS, [
    { tool: 'tool-a', key: 'aaaaaaaaaaaaaaaa1', scopes: ['read', 'write'] },
    { tool: 'tool-b', key: 'bbbbbbbbbbbbbbbb2', scopes: ['read'] },
  ])
  t.equal(loadConfig({ PORT: '0' }).PORT, 0, 'port 0 (ephemeral) is allowed')
  t.equal(loadConfig({ STORE_URL: 'memory://' }).STORE_URL, 'memory://')
})

const BAD: [label: string, env: Record<string, string>, variable: string, secret?: string][] = [
  ['PORT not a number', { PORT: 'abc' }, 'PORT'],
  ['PORT out of range', { PORT: '70000' }, 'PORT'],
  ['PORT negative', { PORT: '-1' }, 'PORT'],
  ['STORE_URL unsupported scheme', { STORE_URL: 'mysql://root:hunter2-secret@db/x' }, 'STORE_URL', 'hunter2-secret'],
  ['STORE_URL garbage', { STORE_URL: 'x' }, 'STORE_URL'],
  ['LOG_LEVEL unknown', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ['MEMORY_API_KEYS malformed', { MEMORY_API_KEYS: 'justakeywithoutatool1234' }, 'MEMORY_API_KEYS', 'justakeywithoutatool1234'],
  ['MEMORY_API_KEYS empty tool', { MEMORY_API_KEYS: '=aaaaaaaaaaaaaaaa1' }, 'MEMORY_API_KEYS', 'aaaaaaaaaaaaaaaa1'],
  ['MEMORY_API_KEYS short key', { MEMORY_API_KEYS: 'tool-a=short-secret' }, 'MEMORY_API_KEYS', 'short-secret'],
  ['MEMORY_API_KEYS empty key', { MEMORY_API_KEYS: 'tool-a=' }, 'MEMORY_API_KEYS'],
  ['MEMORY_API_KEYS unknown scope', { MEMORY_API_KEYS: 'tool-a=sup3r-s3cret-k3y-value:fly' }, 'MEMORY_API_KEYS', 'sup3r-s3cret-k3y-value'],
  ['MEMORY_API_KEYS empty scopes', { MEMORY_API_KEYS: 'tool-a=sup3r-s3cret-k3y-value:' }, 'MEMORY_API_KEYS', 'sup3r-s3cret-k3y-value'],
  ['MEMORY_API_KEYS duplicated key', { MEMORY_API_KEYS: 'tool-a=the-same-secret-twice,tool-b=the-same-secret-twice' }, 'MEMORY_API_KEYS', 'the-same-secret-twice'],
  ['MEMORY_API_KEYS bad tool name', { MEMORY_API_KEYS: 'bad tool=sup3r-s3cret-k3y-value' }, 'MEMORY_API_KEYS', 'sup3r-s3cret-k3y-value'],
  ['MEMORY_API_KEYS key and tool swapped', { MEMORY_API_KEYS: 'Sup3rS3cretK3yValue=tool-a' }, 'MEMORY_API_KEYS', 'Sup3rS3cretK3yValue'],
  ['MEMORY_API_KEYS second item bad', { MEMORY_API_KEYS: `${KEYS},tool-c=tiny` }, 'MEMORY_API_KEYS', 'aaaaaaaaaaaaaaaa1'],
  ['MEMORY_ADMIN_KEY too short', { MEMORY_ADMIN_KEY: 'adm1n-s3cret' }, 'MEMORY_ADMIN_KEY', 'adm1n-s3cret'],
  ['HOST 0.0.0.0 without keys', { HOST: '0.0.0.0' }, 'HOST'],
  ['HOST :: without keys', { HOST: '::' }, 'HOST'],
  ['HOST public name without keys', { HOST: 'example.com' }, 'HOST'],
  ['MIGRATE_ON_START not a boolean', { MIGRATE_ON_START: 'maybe' }, 'MIGRATE_ON_START'],
  ['BODY_LIMIT_BYTES too small', { BODY_LIMIT_BYTES: '10' }, 'BODY_LIMIT_BYTES'],
  ['MAX_CONTENT_BYTES above BODY_LIMIT_BYTES', { MAX_CONTENT_BYTES: '5000', BODY_LIMIT_BYTES: '4096' }, 'MAX_CONTENT_BYTES'],
  ['TOKENIZER unknown', { TOKENIZER: 'gpt2' }, 'TOKENIZER'],
  ['IDEMPOTENCY_TTL_SECONDS below minimum', { IDEMPOTENCY_TTL_SECONDS: '1' }, 'IDEMPOTENCY_TTL_SECONDS'],
  ['PG_POOL_MAX zero', { PG_POOL_MAX: '0' }, 'PG_POOL_MAX'],
]

t.test('each bad value throws ConfigError naming the variable, never the secret', async (t) => {
  for (const [label, env, variable, secret] of BAD) {
    const message = rejects(t, env)
    t.match(message, new RegExp(`(^|\\s)${variable}: `), `${label}: names ${variable}`)
    t.ok(message.split('\n').length >= 2, `${label}: one line per problem after the heading`)
    if (secret) t.notOk(message.includes(secret), `${label}: does not contain the secret`)
    for (const [, value] of Object.entries(env)) {
      if (value.length >= 12) t.notOk(message.includes(value), `${label}: does not echo the raw value`)
    }
  }
})

t.test('several bad values are all reported', async (t) => {
  const message = rejects(t, { PORT: 'abc', LOG_LEVEL: 'loud', STORE_URL: 'mysql://x' })
  for (const v of ['PORT', 'LOG_LEVEL', 'STORE_URL']) t.match(message, new RegExp(`${v}: `), `names ${v}`)
})

t.test('HOST: loopback is fine in local mode; any address with keys', async (t) => {
  for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.53']) {
    t.equal(loadConfig({ HOST: host }).HOST, host, `${host} in local mode`)
  }
  const c = loadConfig({ HOST: '0.0.0.0', MEMORY_API_KEYS: KEYS })
  t.equal(c.HOST, '0.0.0.0')
  t.equal(c.localMode, false)
})

t.test('MIGRATE_ON_START defaults true for pglite/memory and false for postgres', async (t) => {
  t.equal(loadConfig({ STORE_URL: 'pglite://./data/x' }).MIGRATE_ON_START, true)
  t.equal(loadConfig({ STORE_URL: 'pglite://memory' }).MIGRATE_ON_START, true)
  t.equal(loadConfig({ STORE_URL: 'memory://' }).MIGRATE_ON_START, true)
  t.equal(loadConfig({ STORE_URL: 'postgres://db/x' }).MIGRATE_ON_START, false)
  t.equal(loadConfig({ STORE_URL: 'postgresql://db/x' }).MIGRATE_ON_START, false)
  t.equal(loadConfig({ STORE_URL: 'postgres://db/x', MIGRATE_ON_START: 'true' }).MIGRATE_ON_START, true, 'explicit wins')
  t.equal(loadConfig({ STORE_URL: 'pglite://./x', MIGRATE_ON_START: 'false' }).MIGRATE_ON_START, false)
  for (const [raw, value] of [['1', true], ['yes', true], ['0', false], ['no', false]] as const) {
    t.equal(loadConfig({ MIGRATE_ON_START: raw }).MIGRATE_ON_START, value, `MIGRATE_ON_START=${raw}`)
  }
})

t.test('parseApiKeys: scopes, per-tool read grants, whitespace', async (t) => {
  t.same(parseApiKeys(' tool-a=aaaaaaaaaaaaaaaa1 , tool-c=cccccccccccccccc3:read+read:tool-a+read:shared ,'), [
    { tool: 'tool-a', key: 'aaaaaaaaaaaaaaaa1', scopes: ['read', 'write'] },
    { tool: 'tool-c', key: 'cccccccccccccccc3', scopes: ['read', 'read:tool-a', 'read:shared'] },
  ])
  t.same(parseApiKeys('ops=0123456789abcdef:admin')[0]?.scopes, ['admin'])
  t.throws(() => parseApiKeys('tool-a=aaaaaaaaaaaaaaaa1:read:bad tool'), /unknown scope/)
})
