/**
 * `mcp-memory stdio`: the MCP server (the reference memory server's nine tools, the v2 memory tools
 * and the knowledge-graph resource) over stdin/stdout, for clients that only launch commands — a
 * drop-in for `npx @modelcontextprotocol/server-memory`.
 *
 * - Store: STORE_URL (default the embedded PGlite folder), with the configured hot tier. A traffic
 *   split (GREEN_STORE_URL) is refused: writes made here would bypass the dual-write of `serve`.
 * - Caller: the tool MEMORY_TOOL (default `default`) with read and write scopes.
 * - MEMORY_FILE_PATH: when it names an existing reference `memory.jsonl` and the tool's graph is
 *   empty, the file is imported first (entities, then relations). A malformed line stops start-up
 *   with its line number and imports nothing; a failure while writing removes what was written.
 * - stdout carries the protocol only: logs (pino JSON, LOG_LEVEL) go to stderr.
 * - Stops when stdin closes or on SIGINT/SIGTERM, closing the store.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { pino, type Logger } from 'pino'
import { composeDomain } from '../compose-domain.js'
import { composeStore } from '../compose-store.js'
import type { Config } from '../config/config.schema.js'
import { importGraph } from '../domain/graph/graph-import.js'
import { parseMemoryJsonl } from '../domain/graph/jsonl.js'
import type { KnowledgeGraphService } from '../domain/graph/knowledge-graph.js'
import { AccessRecorder } from '../domain/memory/access-recorder.js'
import type { Caller } from '../domain/memory/caller.js'
import { TOOL_PATTERN } from '../domain/memory/memory-entry.js'
import { loggerOptions, redactUrl } from '../logging/logger-options.js'
import { createMcpServer } from '../mcp/create-mcp-server.js'
import { packageVersion } from '../mcp/package-version.js'
import { createMetrics } from '../metrics/create-metrics.js'
import { ExpirySweeper } from '../storage/expiry-sweeper.js'

/** Runs until stdin closes or a signal arrives; resolves with the exit code. */
export async function runStdio(config: Readonly<Config>, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const log = pino(loggerOptions(config.LOG_LEVEL), pino.destination({ dest: 2, sync: true }))
  if (config.GREEN_STORE_URL !== undefined) {
    log.error('mcp-memory stdio does not run under a traffic split: unset GREEN_STORE_URL (use `serve` and /mcp instead)')
    return 2
  }
  const tool = env.MEMORY_TOOL === undefined || env.MEMORY_TOOL === '' ? 'default' : env.MEMORY_TOOL
  if (!TOOL_PATTERN.test(tool)) {
    log.error({ tool }, 'MEMORY_TOOL must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}')
    return 2
  }
  const caller: Caller = { tool, scopes: ['read', 'write'] }

  const now = Date.now
  const { store } = await composeStore(config, { side: 'blue', now, metrics: createMetrics(), log })
  try {
    await store.init()
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
  const recorder = new AccessRecorder(store, {
    intervalMs: config.ACCESS_FLUSH_SECONDS * 1000,
    now,
    onError: (err) => log.warn({ err }, 'access statistics not written; retrying with the next batch'),
  })
  const sweeper = new ExpirySweeper(store, config.PURGE_INTERVAL_SECONDS * 1000, now, log)
  let stopCrossToolReads = async () => {}
  const shutdownStore = async () => {
    sweeper.stop()
    await recorder.stop().catch((err: unknown) => log.warn({ err }, 'final access statistics lost'))
    await stopCrossToolReads().catch((err: unknown) => log.warn({ err }, 'final cross-tool access log rows lost'))
    await store.close()
  }

  let server: ReturnType<typeof createMcpServer>
  try {
    const { manager, graph, context, crossToolReads } = await composeDomain(config, store, {
      now, onRead: (entry) => recorder.record(entry.tool, entry.id), log,
    })
    crossToolReads.start()
    stopCrossToolReads = () => crossToolReads.stop()
    const file = env.MEMORY_FILE_PATH
    if (file !== undefined && file !== '') {
      const ok = await importMemoryFile(graph, caller, expandHome(file), log)
      if (!ok) {
        await shutdownStore()
        return 2
      }
    }
    server = createMcpServer({ graph, manager, context, caller, version: packageVersion(), onError: (err) => log.error({ err }, 'MCP tool call failed') })
    await server.connect(new StdioServerTransport())
  } catch (err) {
    await shutdownStore().catch(() => {})
    throw err
  }
  sweeper.start()
  recorder.start()
  log.info({ store: redactUrl(config.STORE_URL), tool }, 'mcp-memory stdio ready')

  return new Promise<number>((done) => {
    let stopping = false
    const stop = (reason: string) => {
      if (stopping) return
      stopping = true
      log.info({ reason }, 'mcp-memory stdio stopping')
      void (async () => {
        await server.close().catch((err: unknown) => log.warn({ err }, 'closing the MCP server failed'))
        try {
          await shutdownStore()
          done(0)
        } catch (err) {
          log.error({ err }, 'closing the store failed')
          done(1)
        }
      })()
    }
    process.stdin.once('end', () => stop('stdin closed'))
    process.stdin.once('close', () => stop('stdin closed'))
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
}

/**
 * Imports the reference file at `path` into `caller`'s graph when the file exists and the graph is
 * empty. False (after logging why) when the file cannot be read or has malformed lines.
 */
export async function importMemoryFile(graph: KnowledgeGraphService, caller: Caller, path: string, log: Logger): Promise<boolean> {
  if (!existsSync(path)) {
    log.info({ path }, 'MEMORY_FILE_PATH does not exist; nothing to import')
    return true
  }
  const current = await graph.readGraph(caller, { limit: 1 })
  if (current.entities.length > 0 || current.relations.length > 0) {
    log.info({ path, tool: caller.tool }, 'the tool already has a knowledge graph; MEMORY_FILE_PATH is not imported again')
    return true
  }
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    log.error({ path, err: (err as Error).message }, 'MEMORY_FILE_PATH cannot be read')
    return false
  }
  const parsed = parseMemoryJsonl(text)
  if (!parsed.ok) {
    for (const e of parsed.errors) log.error({ path, line: e.line }, `memory.jsonl line ${e.line}: ${e.message}`)
    log.error({ path, invalidLines: parsed.invalidLines }, 'MEMORY_FILE_PATH has malformed lines; nothing was imported')
    return false
  }
  // The graph is empty (checked above), so a failed import may remove everything it wrote.
  await importGraph(graph, caller, parsed.graph, { undoOnFailure: true })
  log.info({ path, entities: parsed.graph.entities.length, relations: parsed.graph.relations.length }, 'imported MEMORY_FILE_PATH')
  return true
}

/** A leading `~` means the home directory (MCP clients pass the path from JSON, unexpanded by a shell). */
function expandHome(path: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1))
  return resolve(path)
}
