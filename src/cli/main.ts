#!/usr/bin/env node
/**
 * `mcp-memory [serve|stdio|migrate|backfill|verify|schema-verify|export|import|import-jsonl|export-jsonl|help]`. Configuration
 * comes from the environment (design §6); a bad value stops here with one message per variable and
 * exit code 2. The data commands also take `--from URL --to URL` in place of STORE_URL /
 * GREEN_STORE_URL.
 */
import type { Config } from '../config/config.schema.js'
import { ConfigError, loadConfig } from '../config/load-config.js'
import { BACKFILL_USAGE, BACKUP_USAGE, JSONL_USAGE, VERIFY_USAGE } from './data-usage.js'

const USAGE = `usage: mcp-memory [command] [options]

commands:
  serve          run the HTTP service (default)
  stdio          serve the MCP tools over stdin/stdout (drop-in for the reference memory server)
  migrate        apply pending SQL migrations to STORE_URL (and GREEN_STORE_URL when set), then exit
  backfill       copy blue -> green with applyMirror, resumable (checkpoint), throttled
  verify         compare blue and green chunk by chunk; --repair copies confirmed differences
  schema-verify  validate every stored row of a store
  export         write an NDJSON backup with a checksum trailer
  import         restore an NDJSON backup (idempotent)
  import-jsonl   import a reference memory.jsonl into a tool's knowledge graph
  export-jsonl   write a tool's knowledge graph as a reference memory.jsonl
  help           show this text (\`mcp-memory help <command>\` for a command's options)

Data commands read blue from STORE_URL and green from GREEN_STORE_URL, or from --from URL / --to URL.
Exit codes of the data commands: 0 pass; 1 differences found or rows rejected; 2 usage or
configuration error, or runtime failure (backend unreachable, a failed chunk, stopped early).

Configuration is read from environment variables; see README.md.`

const STDIO_USAGE = `usage: mcp-memory stdio

Serves the MCP tools (the reference memory server's nine knowledge-graph tools and the memory_*
tools) over stdin/stdout; logs go to stderr.
  STORE_URL         the store (default pglite://./data/memory)
  MEMORY_TOOL       the tool the client acts as (default "default"), with read and write scopes
  MEMORY_FILE_PATH  a reference server memory.jsonl, imported first when the tool's graph is empty`

type DataCommand = (config: Readonly<Config>, args: string[]) => Promise<number>

/** Loaded on use, so `serve` never loads the data tools. */
const DATA_COMMANDS: Record<string, { usage: string; load: () => Promise<DataCommand> }> = {
  backfill: { usage: BACKFILL_USAGE, load: async () => (await import('./backfill-command.js')).runBackfillCommand },
  verify: { usage: VERIFY_USAGE, load: async () => (await import('./verify-command.js')).runVerifyCommand },
  'schema-verify': { usage: BACKUP_USAGE, load: async () => (await import('./backup-commands.js')).runSchemaVerifyCommand },
  export: { usage: BACKUP_USAGE, load: async () => (await import('./backup-commands.js')).runExportCommand },
  import: { usage: BACKUP_USAGE, load: async () => (await import('./backup-commands.js')).runImportCommand },
  'import-jsonl': { usage: JSONL_USAGE, load: async () => (await import('./jsonl-commands.js')).runImportJsonl },
  'export-jsonl': { usage: JSONL_USAGE, load: async () => (await import('./jsonl-commands.js')).runExportJsonl },
}

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'serve'
  if (command === 'help' || command === '--help' || command === '-h') {
    const topic = argv[1] === undefined ? undefined : argv[1] === 'stdio' ? { usage: STDIO_USAGE } : DATA_COMMANDS[argv[1]]
    console.log(topic?.usage ?? USAGE)
    return 0
  }
  const data = DATA_COMMANDS[command]
  if (command !== 'serve' && command !== 'migrate' && command !== 'stdio' && data === undefined) {
    console.error(`unknown command "${command}"\n\n${USAGE}`)
    return 2
  }
  if (data !== undefined && (argv.includes('--help') || argv.includes('-h'))) {
    console.log(data.usage)
    return 0
  }
  if (command === 'stdio' && argv.length > 1) {
    // stdout is the protocol channel: usage goes to stderr.
    const help = argv.includes('--help') || argv.includes('-h')
    console.error(help ? STDIO_USAGE : `mcp-memory stdio takes no arguments\n\n${STDIO_USAGE}`)
    return help ? 0 : 2
  }
  const config = loadConfig()
  if (command === 'migrate') return (await import('./migrate-command.js')).runMigrate(config)
  if (command === 'stdio') return (await import('./stdio-command.js')).runStdio(config)
  if (data !== undefined) return runData(command, data, config, argv.slice(1))
  const { serve } = await import('../server.js')
  await serve(config)
  return -1 // keep running
}

/** Data commands never exit 1 on a crash: 1 means "differences found", so failures are 2. */
async function runData(name: string, command: (typeof DATA_COMMANDS)[string], config: Readonly<Config>, args: string[]): Promise<number> {
  try {
    return await (await command.load())(config, args)
  } catch (err) {
    if (err instanceof Error && err.name === 'UsageError') {
      console.error(`mcp-memory ${name}: ${err.message}\n\n${command.usage}`)
      return 2
    }
    console.error(`mcp-memory ${name}: ${err instanceof Error ? err.message : String(err)}`)
    return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(`mcp-memory: ${err.message}`)
      process.exitCode = 2
      return
    }
    console.error('mcp-memory: failed to start:', err instanceof Error ? err.message : err)
    process.exitCode = 1
  },
)
