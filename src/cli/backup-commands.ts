/** `mcp-memory schema-verify | export | import`: whole-store checks and NDJSON backups. */
import type { Config } from '../config/config.schema.js'
import { BackupFormatError, exportToFile, importFromFile } from '../traffic/copy/ndjson-backup.js'
import { createProgress } from '../traffic/copy/progress.js'
import { runSchemaVerify } from '../traffic/copy/schema-verify.js'
import {
  abortOnSignals, choiceOption, intOption, openStore, parseCommandArgs, redactUrl, requireGreen, storeUrls, stringOption,
  UsageError,
} from './data-commands-args.js'
import { BACKUP_USAGE } from './data-usage.js'

const STORE = ['blue', 'green'] as const

function storeUrlFor(config: Readonly<Config>, values: Record<string, string | boolean | undefined>): string {
  const urls = storeUrls(config, values)
  return choiceOption(values, 'store', STORE, 'blue') === 'blue' ? urls.blue : requireGreen(urls)
}

export async function runSchemaVerifyCommand(config: Readonly<Config>, args: string[]): Promise<number> {
  const values = parseCommandArgs(args, { store: { type: 'string' }, 'chunk-size': { type: 'string' }, json: { type: 'boolean' } })
  const url = storeUrlFor(config, values)
  const chunkSize = intOption(values, 'chunk-size', 500, 1, 100_000)
  const store = await openStore(config, url)
  const controller = new AbortController()
  const removeSignals = abortOnSignals(controller, (l) => process.stderr.write(l + '\n'))
  try {
    process.stderr.write(`schema-verify: ${redactUrl(url)}\n`)
    const report = await runSchemaVerify({
      store, chunkSize, maxContentBytes: config.MAX_CONTENT_BYTES, signal: controller.signal,
      progress: createProgress({ stream: process.stderr, label: 'schema-verify' }),
    })
    if (values.json === true) console.log(JSON.stringify(report, null, 2))
    else {
      console.log(`schema-verify: ${report.exitCode === 0 ? 'PASS' : 'FAIL'} (exit ${report.exitCode}): ${report.rows} rows checked, ${report.badRows} bad`)
      for (const b of report.bad.slice(0, 100)) console.log(`  ${b.tool}/${b.id}: ${b.problems.join('; ')}`)
      if (report.failure !== null) console.log(`  failed: ${report.failure}`)
    }
    return report.exitCode
  } finally {
    removeSignals()
    await store.close()
  }
}

export async function runExportCommand(config: Readonly<Config>, args: string[]): Promise<number> {
  const values = parseCommandArgs(args, { store: { type: 'string' }, out: { type: 'string' }, 'chunk-size': { type: 'string' } })
  const out = stringOption(values, 'out')
  if (out === undefined) throw new UsageError('export needs --out FILE (or --out - for stdout)')
  const url = storeUrlFor(config, values)
  const store = await openStore(config, url)
  try {
    const result = await exportToFile(store, out, { chunkSize: intOption(values, 'chunk-size', 500, 1, 100_000) })
    process.stderr.write(`export: ${result.rows} rows and ${result.registrations} tool registrations from ${redactUrl(url)} to ` +
      `${out === '-' ? 'stdout' : out} (sha256 ${result.sha256})\n`)
    return 0
  } finally {
    await store.close()
  }
}

export async function runImportCommand(config: Readonly<Config>, args: string[]): Promise<number> {
  const values = parseCommandArgs(args, { store: { type: 'string' }, in: { type: 'string' }, 'skip-invalid': { type: 'boolean' } })
  const file = stringOption(values, 'in')
  if (file === undefined) throw new UsageError('import needs --in FILE')
  const url = storeUrlFor(config, values)
  const store = await openStore(config, url)
  try {
    const skipInvalid = values['skip-invalid'] === true
    const report = await importFromFile(store, file, { skipInvalid })
    const refused = report.rejected.length > 0 && !skipInvalid ? ' — nothing written (pass --skip-invalid to import the valid lines)' : ''
    console.log(`import: ${report.rows} rows into ${redactUrl(url)}: ${report.applied} applied, ${report.stale} already current, ` +
      `${report.rejected.length} rejected${refused}; ${report.registrations} tool registrations written`)
    for (const r of report.rejected.slice(0, 100)) console.log(`  line ${r.line}: ${r.problems.join('; ')}`)
    return report.exitCode
  } catch (err) {
    if (err instanceof BackupFormatError) {
      process.stderr.write(`mcp-memory import: refused ${file}: ${err.message} (nothing was written)\n`)
      return 2
    }
    throw err
  } finally {
    await store.close()
  }
}
