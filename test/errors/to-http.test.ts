/** The error catalogue and the one mapping from thrown values to RFC 9457 problems. */
import { errorCodes } from 'fastify'
import t from 'tap'
import { AppError } from '../../src/errors/app-error.js'
import { ERROR_CODES, PROBLEM_TYPE_PREFIX, type ErrorCode } from '../../src/errors/error-codes.js'
import { toAppError, toProblem } from '../../src/errors/to-http.js'
import { createInMemoryStore } from '../../src/storage/in-memory/in-memory-store.js'
import { buildTestApp } from '../helpers/build-app.js'

/** The public contract: a code never changes its status. Adding a code means adding a row here. */
const STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  malformed_json: 400,
  invalid_cursor: 400,
  invalid_content: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  entity_not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  key_conflict: 409,
  duplicate_content: 409,
  idempotency_in_progress: 409,
  token_budget_exceeded: 409,
  entry_exceeds_token_budget: 422,
  version_conflict: 412,
  payload_too_large: 413,
  content_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  backend_unavailable: 503,
  internal: 500,
}

t.test('every catalogue code has its pinned status, a title, and a stable problem type', async (t) => {
  t.same(Object.keys(ERROR_CODES).sort(), Object.keys(STATUS).sort(), 'the table covers the whole catalogue')
  t.equal(PROBLEM_TYPE_PREFIX, 'urn:mcp-memory:problem:')
  for (const [code, status] of Object.entries(STATUS) as [ErrorCode, number][]) {
    t.equal(ERROR_CODES[code].status, status, `${code} → ${status}`)
    t.match(ERROR_CODES[code].title, /^\S.{3,}/, `${code} has a title`)
    t.match(code, /^[a-z_]+$/, `${code} is snake_case`)
    const err = new AppError(code)
    t.equal(err.status, status)
    t.equal(err.detail, ERROR_CODES[code].title, 'detail defaults to the title')
    const problem = toProblem(err)
    t.equal(problem.type, `urn:mcp-memory:problem:${code}`)
    t.equal(problem.status, status)
    t.equal(problem.code, code)
  }
})

t.test('problem body shape: type, title, status, detail, code, instance, errors, extensions', async (t) => {
  const err = new AppError('version_conflict', 'the entry is at version 3', { extensions: { currentVersion: 3 } })
  t.same(toProblem(err, '/v2/memories/x'), {
    currentVersion: 3,
    type: 'urn:mcp-memory:problem:version_conflict',
    title: 'Version precondition failed',
    status: 412,
    detail: 'the entry is at version 3',
    code: 'version_conflict',
    instance: '/v2/memories/x',
  })
  t.notOk('instance' in toProblem(err), 'instance is omitted when unknown')
  const errors = [{ pointer: '/body/tags/0', message: 'bad tag' }]
  t.same(toProblem(new AppError('validation_failed', '1 invalid field(s)', { errors })).errors, errors)
  t.notOk('errors' in toProblem(new AppError('not_found')), 'errors only when there are some')
  const sneaky = new AppError('not_found', 'gone', { extensions: { status: 200, type: 'x', code: 'internal', title: 't' } })
  t.match(toProblem(sneaky), { status: 404, type: 'urn:mcp-memory:problem:not_found', code: 'not_found', title: 'Not found' },
    'extensions cannot override the standard members')
})

t.test('AppErrors pass through unchanged', async (t) => {
  const err = new AppError('key_conflict', 'taken')
  t.equal(toAppError(err), err)
})

t.test('unknown errors become 500 internal with a generic detail that hides the original', async (t) => {
  const secret = 'password=hunter2 at SELECT * FROM memories WHERE tool = $1'
  const thrown: unknown[] = [
    new Error(secret), new TypeError(secret), new RangeError(secret), Object.assign(new Error(secret), { statusCode: 400 }),
    Object.assign(new Error(secret), { code: 'ECONNREFUSED' }), Object.assign(new Error(secret), { code: '23505' }),
    secret, 42, null, undefined, { message: secret }, new SyntaxError(secret),
  ]
  for (const value of thrown) {
    const err = toAppError(value)
    t.equal(err.code, 'internal', `${typeof value} → internal`)
    t.equal(err.status, 500)
    t.notOk(err.detail.includes('hunter2'), 'detail does not leak the message')
    t.notOk(JSON.stringify(toProblem(err, '/x')).includes('hunter2'), 'the problem body does not leak it')
    if (value !== undefined) t.equal(err.cause, value, 'the original is kept as the cause (for logs)')
  }
})

t.test('Fastify client errors map to catalogue codes', async (t) => {
  const expected: [keyof typeof errorCodes, ErrorCode][] = [
    ['FST_ERR_CTP_BODY_TOO_LARGE', 'payload_too_large'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 'unsupported_media_type'],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'malformed_json'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 'malformed_json'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 'malformed_json'],
    ['FST_ERR_CTP_EMPTY_TYPE', 'unsupported_media_type'],
    ['FST_ERR_CTP_INVALID_TYPE', 'unsupported_media_type'],
  ]
  for (const [fastifyCode, code] of expected) {
    const Ctor = errorCodes[fastifyCode] as unknown as new (...args: unknown[]) => Error
    const err = toAppError(new Ctor('text/x'))
    t.equal(err.code, code, `${fastifyCode} → ${code}`)
    t.equal(err.status, STATUS[code])
    t.equal(err.detail, ERROR_CODES[code].title, 'a fixed detail, not Fastify\'s message')
  }
  const syntax = Object.assign(new SyntaxError('Unexpected token } in JSON at position 12'), { statusCode: 400 })
  t.equal(toAppError(syntax).code, 'malformed_json', 'a body-parser SyntaxError with status 400')
  t.notOk(toAppError(syntax).detail.includes('position 12'))
  const other = Object.assign(new Error('x'), { code: 'FST_ERR_SOMETHING_NEW', statusCode: 400 })
  t.equal(toAppError(other).code, 'internal', 'unknown Fastify codes are not guessed')
})

t.test('schema validation errors become validation_failed with pointers', async (t) => {
  const body = toAppError({ validation: [{ instancePath: '/tags/3', message: 'bad tag' }, { instancePath: '', message: 'x' }], validationContext: 'body' })
  t.equal(body.code, 'validation_failed')
  t.same(body.errors, [{ pointer: '/body/tags/3', message: 'bad tag' }, { pointer: '/body', message: 'x' }])
  t.match(body.detail, /2 invalid field\(s\): \/body\/tags\/3, \/body/)
  const query = toAppError({ validation: [{ instancePath: '/limit', message: 'too big' }], validationContext: 'querystring' })
  t.same(query.errors, [{ pointer: '/query/limit', message: 'too big' }], 'querystring is reported as /query')
  const params = toAppError({ validation: [{ instancePath: '/id' }], validationContext: 'params' })
  t.same(params.errors, [{ pointer: '/params/id', message: 'invalid' }])
  const noContext = toAppError({ validation: [{ instancePath: '/' }] })
  t.same(noContext.errors, [{ pointer: '/body', message: 'invalid' }])
})

t.test('through the app: an unexpected store failure is a 500 problem that leaks nothing', async (t) => {
  const store = createInMemoryStore()
  store.stats = async () => {
    throw new Error('connection to postgres://admin:s3cr3t@db failed: relation "memories" does not exist')
  }
  const get = store.get.bind(store)
  store.get = async (tool, id) => {
    if (id.endsWith('0000')) throw new TypeError('Cannot read properties of undefined (reading \'s3cr3t\')')
    return get(tool, id)
  }
  const { server } = await buildTestApp(t, {}, { store })
  for (const url of ['/v2/stats', '/v2/memories/01890a5d-ac96-774b-bcce-b30209990000']) {
    const res = await server.inject({ method: 'GET', url })
    t.equal(res.statusCode, 500, `${url} → 500`)
    t.match(String(res.headers['content-type']), /^application\/problem\+json/)
    const problem = res.json()
    t.match(problem, { type: 'urn:mcp-memory:problem:internal', status: 500, code: 'internal', instance: url })
    t.type(problem.detail, 'string')
    t.notOk(res.body.includes('s3cr3t'), 'no secret in the body')
    t.notOk(res.body.includes('postgres'), 'no connection details')
    t.notOk(/at .*\.ts:\d+/.test(res.body), 'no stack trace')
    t.notOk(JSON.stringify(res.headers).includes('s3cr3t'), 'nor in the headers')
  }
  const metrics = (await server.inject({ method: 'GET', url: '/metrics' })).body
  t.match(metrics, /mcp_memory_backend_errors_total\{backend="memory",op="get"\} 1/, 'counted as a backend error')
})
