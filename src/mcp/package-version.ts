/** The version of the mcp-memory package (from its package.json), for the MCP `serverInfo`. */
import { readFileSync } from 'node:fs'

let cached: string | undefined

export function packageVersion(): string {
  if (cached !== undefined) return cached
  // src/mcp → ../../package.json when run from source; dist/src/mcp → ../../../package.json when built.
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'mcp-memory' && typeof pkg.version === 'string') return (cached = pkg.version)
    } catch {
      // not there: try the next candidate
    }
  }
  return (cached = '0.0.0')
}
