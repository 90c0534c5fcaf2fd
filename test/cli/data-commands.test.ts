/** The data commands as child processes: exit codes 0 / 1 / 2 and plain (non-TTY) progress output. Kept few: process start is slow. */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { createPgDriver } from '../../src/storage/sql/pg-driver.js'
import { createSqlStore } from '../../src/storage/sql/sql-store.js'
import { seed, tempDir } from '../traffic/copy/copy-fixtures.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'
import { pgSchemaUrl } from '../helpers/sql-stores.js'

const pgSkip = await postgresUnavailable()

const root = fileURLToPath(new URL('../..', import.meta.url))

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 60_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }))
  })
}

t.test('usage errors and help need no backend', async (t) => {
  const help = await run(['help', 'verify'])
  t.equal(help.code, 0)
  t.match(help.stdout, /--expect-rows N/)
  const bad = await run(['verify', '--bogus'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /Unknown option '--bogus'/)
  t.match(bad.stderr, /usage: mcp-memory verify/)
})

t.test('migrate → verify 1 → backfill 0 with plain progress → verify 0; unreachable green → 2', { skip: pgSkip ?? false }, async (t) => {
  const db = await createTestDatabase(t, 'cli')
  const [blue, green] = [await pgSchemaUrl(db), await pgSchemaUrl(db)]
  const migrate = await run(['migrate'], { STORE_URL: blue, GREEN_STORE_URL: green })
  t.equal(migrate.code, 0, migrate.stderr)
  t.equal(migrate.stdout.match(/applied \d+ migration\(s\)/g)?.length, 2, 'blue and green both migrated')
  const store = createSqlStore(createPgDriver({ url: blue, poolMax: 2 }), { now: Date.now, migrateOnInit: false })
  await store.init()
  await seed(store, { 'tool-a': 80, 'tool-b': 40 })
  await store.close()
  const dir = await tempDir(t)
  const stores = ['--from', blue, '--to', green]

  const before = await run(['verify', ...stores, '--recheck-ms', '0', '--chunk-size', '50', '--metrics-file', join(dir, 'verify.prom')])
  t.equal(before.code, 1, before.stderr)
  t.match(await readFile(join(dir, 'verify.prom'), 'utf8'), /^mcp_memory_verify_mismatch_rows_total 120$/m, 'metrics file for the textfile collector')
  t.match(before.stdout, /verify: FAIL \(exit 1\)/)
  t.match(before.stdout, /missing on secondary: 120 \[/)

  const backfill = await run(['backfill', ...stores, '--checkpoint', join(dir, 'cp.json'), '--chunk-size', '50', '--min-chunk', '50', '--max-chunk', '50',
    '--metrics-file', join(dir, 'backfill.prom')])
  t.equal(backfill.code, 0, backfill.stderr)
  t.match(await readFile(join(dir, 'backfill.prom'), 'utf8'), /^mcp_memory_backfill_rows_total 120$/m)
  t.match(backfill.stderr, /^backfill: 50\/120 rows \(41\.7%\), \d+ rows\/s, chunk 50$/m, 'plain progress line off a terminal')
  t.match(backfill.stderr, /^backfill: 120\/120 rows \(100\.0%\).*\(done\)$/m)
  t.notMatch(backfill.stderr, /\r/, 'no carriage returns off a terminal')
  t.match(backfill.stdout, /backfill done: 120 rows read in 3 chunks, 120 applied/)

  const after = await run(['verify', ...stores, '--recheck-ms', '0', '--expect-rows', '120', '--json'])
  t.equal(after.code, 0, after.stderr)
  t.match(JSON.parse(after.stdout), { passed: true, exitCode: 0, rowsCompared: 120 })

  const down = await run(['verify', '--from', blue, '--to', 'postgres://postgres:s3cret@127.0.0.1:1/nowhere'])
  t.equal(down.code, 2)
  t.match(down.stderr, /cannot open/)
  t.notMatch(down.stderr + down.stdout, /s3cret/, 'no password in the output')
})
