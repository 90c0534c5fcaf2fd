/**
 * `mcp-memory import-jsonl FILE [--tool T]` and `export-jsonl [--tool T] [--out FILE|-]`: the
 * reference MCP memory server's `memory.jsonl`, into and out of one tool's graph on STORE_URL (or
 * `--from`). Import validates the whole file first: a malformed line is reported with its number and
 * nothing is imported (exit 1). Export writes the reference's bytes (entities then relations,
 * compact JSON, `\n`-joined, no trailing newline), to a temp file renamed into place.
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { composeDomain } from '../compose-domain.js'
import type { Config } from '../config/config.schema.js'
import { importGraph } from '../domain/graph/graph-import.js'
import { formatMemoryJsonl, parseMemoryJsonl } from '../domain/graph/jsonl.js'
import type { Caller } from '../domain/memory/caller.js'
import { TOOL_PATTERN } from '../domain/memory/memory-entry.js'
import { redactUrl } from '../logging/logger-options.js'
import { createMemoryStore } from '../storage/create-memory-store.js'
import { parseCommandArgs, stringOption, UsageError } from './data-commands-args.js'

function callerOf(values: Record<string, unknown>): Caller {
  const tool = stringOption(values as never, 'tool') ?? process.env.MEMORY_TOOL ?? 'default'
  if (!TOOL_PATTERN.test(tool)) throw new UsageError(`--tool must match ${TOOL_PATTERN.source}`)
  return { tool, scopes: ['read', 'write'] }
}

async function withGraph<T>(config: Readonly<Config>, url: string, fn: (d: Awaited<ReturnType<typeof composeDomain>>) => Promise<T>): Promise<T> {
  const store = await createMemoryStore({ ...config, STORE_URL: url }, { now: Date.now })
  try {
    await store.init()
    return await fn(await composeDomain(config, store, { now: Date.now }))
  } finally {
    await store.close()
  }
}

export async function runImportJsonl(config: Readonly<Config>, args: string[]): Promise<number> {
  const file = args[0]
  if (file === undefined || file.startsWith('--')) throw new UsageError('import-jsonl needs a FILE')
  const values = parseCommandArgs(args.slice(1), { tool: { type: 'string' } })
  const caller = callerOf(values)
  const parsed = parseMemoryJsonl(await readFile(file, 'utf8'))
  if (!parsed.ok) {
    console.error(`import-jsonl: ${parsed.invalidLines} invalid line(s) in ${file}; nothing imported`)
    for (const e of parsed.errors) console.error(`  line ${e.line}: ${e.message}`)
    return 1
  }
  const url = stringOption(values, 'from') ?? config.STORE_URL
  const report = await withGraph(config, url, (d) => importGraph(d.graph, caller, parsed.graph))
  console.log(`import-jsonl: ${file} into tool ${caller.tool} on ${redactUrl(url)}: ` +
    `${report.entities.added} entities added (${report.entities.skipped} already there), ` +
    `${report.relations.added} relations added (${report.relations.skipped} already there), ${parsed.skipped} blank or other lines skipped`)
  return 0
}

export async function runExportJsonl(config: Readonly<Config>, args: string[]): Promise<number> {
  const values = parseCommandArgs(args, { tool: { type: 'string' }, out: { type: 'string' } })
  const caller = callerOf(values)
  const url = stringOption(values, 'from') ?? config.STORE_URL
  const text = await withGraph(config, url, async (d) => formatMemoryJsonl(await d.graph.readGraph(caller)))
  const out = stringOption(values, 'out') ?? '-'
  if (out === '-') {
    process.stdout.write(text)
  } else {
    const temp = `${out}.${process.pid}.tmp`
    await writeFile(temp, text)
    await rename(temp, out)
    console.error(`export-jsonl: tool ${caller.tool} written to ${out}`)
  }
  return 0
}
