/** The `mcp-memory` command: a bad configuration stops it with exit code 2 and one clear message. */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('../..', import.meta.url))

function run(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 60_000,
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

t.test('a bad value stops start-up with exit 2, naming the variable but not echoing secrets', async (t) => {
  const bad = run(['serve'], { PORT: 'abc', MEMORY_API_KEYS: 'tool-a=short-secret' })
  t.equal(bad.code, 2)
  t.match(bad.stderr, /invalid configuration/)
  t.match(bad.stderr, /PORT: must be a whole number/)
  t.match(bad.stderr, /MEMORY_API_KEYS: item 1: key shorter than 16 characters/)
  t.notMatch(bad.stderr, /short-secret/)
  t.notMatch(bad.stderr, /\n\s+at /, 'no stack trace')
})

t.test('local mode refuses a non-loopback HOST', async (t) => {
  const res = run(['serve'], { HOST: '0.0.0.0' })
  t.equal(res.code, 2)
  t.match(res.stderr, /HOST: local mode/)
})

t.test('help, unknown commands, and migrate on memory://', async (t) => {
  const help = run(['help'], {})
  t.equal(help.code, 0)
  t.match(help.stdout, /serve\s+run the HTTP service/)
  const unknown = run(['frobnicate'], {})
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, /unknown command "frobnicate"/)
  const migrate = run(['migrate'], { STORE_URL: 'memory://' })
  t.equal(migrate.code, 2)
  t.match(migrate.stderr, /no schema to migrate/)
})
