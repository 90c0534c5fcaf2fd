/** `mcp-memory verify`: compare blue and green chunk by chunk (src/traffic/copy/verify.ts). */
import type { Config } from '../config/config.schema.js'
import type { MemoryStore } from '../storage/memory-store.js'
import { type IdList, runVerify, type VerifyReport } from '../traffic/copy/verify.js'
import {
  abortOnSignals, choiceOption, intOption, openStore, parseCommandArgs, redactUrl, requireGreen, storeUrls, stringOption,
} from './data-commands-args.js'
import { VERIFY_USAGE } from './data-usage.js'
import { commandMetrics } from './metrics-file.js'

const OPTIONS = {
  primary: { type: 'string' }, 'chunk-size': { type: 'string' }, 'recheck-ms': { type: 'string' },
  repair: { type: 'boolean' }, 'expect-rows': { type: 'string' }, json: { type: 'boolean' },
  'metrics-file': { type: 'string' }, force: { type: 'boolean' },
} as const

/** Outbox rows older than this are mirror writes that failed and still wait for their replay. */
const SETTLED_OUTBOX_MS = 10_000

export async function runVerifyCommand(config: Readonly<Config>, args: string[]): Promise<number> {
  const values = parseCommandArgs(args, OPTIONS)
  const urls = storeUrls(config, values)
  const green = requireGreen(urls)
  const primaryName = choiceOption(values, 'primary', ['blue', 'green'] as const, 'blue')
  const expectText = stringOption(values, 'expect-rows')
  const settings = {
    chunkSize: intOption(values, 'chunk-size', 500, 1, 100_000),
    recheckMs: intOption(values, 'recheck-ms', 1000, 0),
    repair: values.repair === true,
    expectRows: expectText === undefined ? null : intOption(values, 'expect-rows', 0, 0),
  }
  const log = (line: string) => process.stderr.write(line + '\n')
  const blueStore = await openStore(config, urls.blue)
  const greenStore = await openStore(config, green).catch(async (err: unknown) => {
    await blueStore.close()
    throw err
  })
  const [primary, secondary] = primaryName === 'blue' ? [blueStore, greenStore] : [greenStore, blueStore]
  const controller = new AbortController()
  const counters = commandMetrics()
  const removeSignals = abortOnSignals(controller, log)
  try {
    log(`verify: primary ${primaryName} ${redactUrl(primaryName === 'blue' ? urls.blue : green)}, ` +
      `secondary ${redactUrl(primaryName === 'blue' ? green : urls.blue)}`)
    if (settings.repair && values.force !== true) {
      // While mirror writes wait in an outbox, a row only on one side may be an acknowledged write
      // still on its way: "repairing" it from the other side would delete it.
      const waiting = await unsettledOutbox(blueStore, greenStore)
      if (waiting !== null) {
        log(`mcp-memory verify: refusing --repair: ${waiting}; wait for mcp_memory_outbox_pending to drain (or pass --force)`)
        return 2
      }
    }
    const report = await runVerify({
      primary, secondary, ...settings, signal: controller.signal,
      onMismatchRows: (n) => counters.metrics.verifyMismatchRows.inc(n),
    })
    console.log(values.json === true ? JSON.stringify(report, null, 2) : formatVerifyReport(report))
    return report.exitCode
  } finally {
    removeSignals()
    await counters.write(stringOption(values, 'metrics-file'), ['verifyMismatchRows'])
    await Promise.allSettled([blueStore.close(), greenStore.close()])
  }
}

async function unsettledOutbox(blue: MemoryStore, green: MemoryStore): Promise<string | null> {
  for (const [name, store] of [['blue', blue], ['green', green]] as const) {
    const { pending, oldestCreatedAt } = await store.outboxStats()
    if (oldestCreatedAt !== null && Date.now() - oldestCreatedAt > SETTLED_OUTBOX_MS) {
      return `${name}'s outbox holds ${pending} row(s), the oldest ${Math.round((Date.now() - oldestCreatedAt) / 1000)} s old`
    }
  }
  return null
}

export function formatVerifyReport(r: VerifyReport): string {
  const lines = [
    `verify: ${r.passed ? 'PASS' : 'FAIL'} (exit ${r.exitCode})`,
    `  rows compared: ${r.rowsCompared}${r.rowsCompared === 0 ? ' (0 rows compared: both sides are empty or nothing was read)' : ''}`,
    `  secondary rows read: ${r.secondaryRows}`,
    `  chunks: ${r.chunks}, differing: ${r.differingChunks}, failed: ${r.failedChunks.length}`,
    idLine('missing on secondary', r.missing),
    idLine('extra on secondary', r.extra),
    idLine('different', r.different),
    idLine('duplicated by scan', r.duplicate),
    `  settled on re-check: ${r.settled}`,
    `  repaired: ${r.repaired}`,
  ]
  for (const u of r.unrepaired.slice(0, 20)) lines.push(`  unrepaired ${u.kind} ${u.tool}/${u.id}: ${u.reason}`)
  for (const f of r.failedChunks.slice(0, 20)) lines.push(`  failed ${f.at}: ${f.error}`)
  for (const p of r.problems) lines.push(`  problem: ${p}`)
  return lines.join('\n')
}

function idLine(label: string, list: IdList): string {
  const more = list.count > list.ids.length ? `, … ${list.count - list.ids.length} more` : ''
  return `  ${label}: ${list.count}${list.count > 0 ? ` [${list.ids.join(', ')}${more}]` : ''}`
}
