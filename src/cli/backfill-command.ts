/** `mcp-memory backfill`: copy blue → green (src/traffic/copy/backfill.ts) with a checkpoint and progress. */
import type { Config } from '../config/config.schema.js'
import { BackfillChunkError, BackfillRefusedError, type BackfillResult, runBackfill } from '../traffic/copy/backfill.js'
import { CheckpointError } from '../traffic/copy/checkpoint.js'
import { createProgress } from '../traffic/copy/progress.js'
import {
  abortOnSignals, intOption, openStore, parseCommandArgs, redactUrl, requireGreen, storeUrls, stringOption, UsageError,
} from './data-commands-args.js'
import { BACKFILL_USAGE } from './data-usage.js'
import { commandMetrics } from './metrics-file.js'

const OPTIONS = {
  checkpoint: { type: 'string' }, restart: { type: 'boolean' }, 'chunk-size': { type: 'string' },
  'min-chunk': { type: 'string' }, 'max-chunk': { type: 'string' }, 'target-chunk-ms': { type: 'string' },
  'rows-per-second': { type: 'string' }, tools: { type: 'string' }, 'dry-run': { type: 'boolean' },
  'metrics-file': { type: 'string' },
} as const

export async function runBackfillCommand(config: Readonly<Config>, args: string[]): Promise<number> {
  const values = parseCommandArgs(args, OPTIONS)
  const urls = storeUrls(config, values)
  const green = requireGreen(urls)
  const chunkSize = intOption(values, 'chunk-size', 500, 1)
  const minChunk = intOption(values, 'min-chunk', Math.min(50, chunkSize), 1)
  const maxChunk = intOption(values, 'max-chunk', Math.max(5000, chunkSize), 1)
  if (!(minChunk <= chunkSize && chunkSize <= maxChunk)) throw new UsageError('need --min-chunk <= --chunk-size <= --max-chunk')
  const tools = stringOption(values, 'tools')?.split(',').map((t) => t.trim()).filter((t) => t !== '') ?? null
  const dryRun = values['dry-run'] === true
  const log = (line: string) => process.stderr.write(line + '\n')

  const blueStore = await openStore(config, urls.blue)
  const greenStore = await openStore(config, green).catch(async (err: unknown) => {
    await blueStore.close()
    throw err
  })
  const controller = new AbortController()
  const removeSignals = abortOnSignals(controller, log)
  const counters = commandMetrics()
  try {
    log(`backfill${dryRun ? ' (dry run)' : ''}: ${redactUrl(urls.blue)} -> ${redactUrl(green)}`)
    const result = await runBackfill({
      source: blueStore, target: greenStore, sourceId: urls.blue, targetId: green,
      checkpointFile: stringOption(values, 'checkpoint') ?? './data/backfill-checkpoint.json',
      tools, chunkSize, minChunk, maxChunk,
      targetChunkMs: intOption(values, 'target-chunk-ms', 500, 1),
      rowsPerSecond: intOption(values, 'rows-per-second', 0, 0),
      dryRun, restart: values.restart === true, signal: controller.signal,
      onRows: (n) => counters.metrics.backfillRows.inc(n),
      progress: createProgress({ stream: process.stderr, label: 'backfill' }),
    })
    console.log(summary(result))
    // Stopped early is not success: a Job restarted after SIGTERM must run again and resume.
    return result.status === 'aborted' ? 2 : 0
  } catch (err) {
    if (err instanceof BackfillRefusedError || err instanceof CheckpointError || err instanceof BackfillChunkError) {
      log(`mcp-memory backfill: ${err.message}`)
      return 2
    }
    throw err
  } finally {
    removeSignals()
    await counters.write(stringOption(values, 'metrics-file'), ['backfillRows'])
    await Promise.allSettled([blueStore.close(), greenStore.close()])
  }
}

function summary(r: BackfillResult): string {
  if (r.status === 'already-done') {
    return `backfill: the checkpoint says this backfill is already done (${r.checkpoint.rows} rows); pass --restart to run it again`
  }
  const from = r.resumedFrom === null ? '' : ` (resumed after ${r.resumedFrom.tool}/${r.resumedFrom.id})`
  const verb = r.dryRun ? 'would apply' : 'applied'
  const head = r.status === 'aborted' ? 'backfill stopped; run again to resume' : r.dryRun ? 'backfill dry run done' : 'backfill done'
  return `${head}${from}: ${r.rows} rows read in ${r.chunks} chunks, ${r.applied} ${verb}, ${r.stale} already current` +
    (r.dryRun ? '' : ` (total ${r.checkpoint.rows} rows, ${r.checkpoint.applied} applied, ${r.checkpoint.stale} stale)`) +
    (r.status === 'done' && !r.dryRun ? `; ${r.registrations} tool registrations copied` : '')
}
