#!/usr/bin/env node
/**
 * `mcp-memory [serve|migrate|help]`. Configuration comes from the environment only (design §6);
 * a bad value stops here with one message per variable and exit code 2.
 */
import { ConfigError, loadConfig } from '../config/load-config.js'
import { runMigrate } from './migrate-command.js'

const USAGE = `usage: mcp-memory [command]

commands:
  serve     run the HTTP service (default)
  migrate   apply pending SQL migrations to STORE_URL, then exit
  help      show this text

Configuration is read from environment variables; see README.md.`

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'serve'
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE)
    return 0
  }
  if (command !== 'serve' && command !== 'migrate') {
    console.error(`unknown command "${command}"\n\n${USAGE}`)
    return 2
  }
  const config = loadConfig()
  if (command === 'migrate') return runMigrate(config)
  const { serve } = await import('../server.js')
  await serve(config)
  return -1 // keep running
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
