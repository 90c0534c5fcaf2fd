/**
 * `mcp-memory import-jsonl` / `export-jsonl` as a user runs them (child processes on one PGlite data
 * folder): a reference file with blank lines and an unknown line type round-trips to the
 * reference's bytes; a corrupt line is reported with its number and imports nothing.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('../../', import.meta.url))

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: root, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env }, encoding: 'utf8', timeout: 90_000,
    }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }))
  })
}

const KEPT = [
  '{"type":"entity","name":"Grace Hopper","entityType":"person","observations":["found a moth","COBOL"]}',
  '{"type":"entity","name":"Harvard Mark II","entityType":"machine","observations":[]}',
  '{"type":"relation","from":"Grace Hopper","to":"Harvard Mark II","relationType":"debugged"}',
]

t.test('import-jsonl then export-jsonl; a corrupt file imports nothing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpmem-jsonl-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const env = { STORE_URL: `pglite://${join(dir, 'data')}` }
  const file = join(dir, 'memory.jsonl')
  await writeFile(file, [KEPT[0], '', '{"type":"note","text":"skipped"}', KEPT[1], KEPT[2], ''].join('\n'))

  const imported = await run(['import-jsonl', file, '--tool', 'hopper'], env)
  t.equal(imported.code, 0, imported.stderr)
  t.match(imported.stdout, /2 entities added .*1 relations added/)
  const exported = await run(['export-jsonl', '--tool', 'hopper'], env)
  t.equal(exported.code, 0, exported.stderr)
  t.equal(exported.stdout, KEPT.join('\n'), "the reference's bytes for the kept lines, no trailing newline")

  const corrupt = join(dir, 'corrupt.jsonl')
  await writeFile(corrupt, ['{"type":"entity","name":"New One","entityType":"x","observations":[]}', '{"type":"entity","name":'].join('\n'))
  const refused = await run(['import-jsonl', corrupt, '--tool', 'hopper'], env)
  t.equal(refused.code, 1)
  t.match(refused.stderr, /line 2: not valid JSON/)
  t.match(refused.stderr, /nothing imported/)
  t.equal((await run(['export-jsonl', '--tool', 'hopper'], env)).stdout, KEPT.join('\n'), 'the valid first line was not imported either')

  const usage = await run(['import-jsonl'], env)
  t.equal(usage.code, 2, 'a missing FILE is a usage error')
})
