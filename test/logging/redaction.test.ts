import { Writable } from 'node:stream'
import pino from 'pino'
import t from 'tap'
import { loggerOptions, redactUrl } from '../../src/logging/logger-options.js'

t.test('redactUrl hides the password and secret-looking query parameters', async (t) => {
  const out = redactUrl('postgres://u:pw@h:5432/db?sslpassword=s3cr3t&password=qq&application_name=app')
  t.notMatch(out, /pw@|s3cr3t|qq/)
  t.match(out, /application_name=app/)
  t.equal(redactUrl('memory://'), 'memory://')
})

t.test('configured secrets are redacted from log lines', async (t) => {
  let line = ''
  const sink = new Writable({ write(chunk, _enc, done) { line += chunk.toString(); done() } })
  const log = pino(loggerOptions('info'), sink)
  log.info({ config: { MEMORY_API_KEYS: 'tool=sekret-key-000000', MEMORY_ADMIN_KEY: 'admin-sekret-00000' }, req: { headers: { authorization: 'Bearer sekret' } } }, 'x')
  t.notMatch(line, /sekret/)
  t.match(line, /\[redacted\]/)
})
