/**
 * The variable names the app knows (src/config/config.schema.ts) and the ones its source reads, so
 * that manifests, compose and the source are all checked against one list.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CONFIG_KEYS, STDIO_VARIABLES } from '../../../src/config/config.schema.js'
import { loadConfig } from '../../../src/config/load-config.js'

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

/** Names a manifest may set: the schema's, plus the stdio command's own two. */
export const APP_ENV_NAMES: ReadonlySet<string> = new Set<string>([...CONFIG_KEYS, ...STDIO_VARIABLES])

/** Problems for env names unknown to the app, each naming the variable and where it is set. */
export function unknownEnvNames(names: Iterable<string>, where: string): string[] {
  return [...names].filter((n) => !APP_ENV_NAMES.has(n)).map((n) => `${where}: env var ${n} is not in CONFIG_KEYS or STDIO_VARIABLES`)
}

/** Names read as `process.env.X`, `process.env['X']`, `env.X` or `env['X']` (upper-case names only). */
export function envReadsIn(source: string): string[] {
  const found = new Set<string>()
  const pattern = /\benv(?:\.([A-Z][A-Z0-9_]*)\b|\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\])/g
  for (const m of source.matchAll(pattern)) found.add((m[1] ?? m[2])!)
  return [...found]
}

export function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
}

/** Every variable read in the given files must be known to the app. */
export function unknownEnvReads(files: readonly string[]): string[] {
  return files.flatMap((file) => unknownEnvNames(envReadsIn(readFileSync(file, 'utf8')), relative(ROOT, file)))
}

/**
 * The reverse direction: a schema key no source file (besides the schema) mentions is a flag that
 * does nothing, and a manifest setting it would be misleading.
 */
export function unusedConfigKeys(files: readonly string[], schemaFile: string): string[] {
  const text = files.filter((f) => f !== schemaFile).map((f) => readFileSync(f, 'utf8')).join('\n')
  return CONFIG_KEYS.filter((k) => !new RegExp(`\\b${k}\\b`).test(text)).map((k) => `${k} is in CONFIG_KEYS but no source file reads it`)
}

/**
 * Parse an environment as the app would at start (empty = unset); problems name the variable.
 * Values come from manifests, so placeholders must still be well-formed.
 */
export function configProblems(env: Record<string, string>, where: string): string[] {
  try {
    loadConfig(env)
    return []
  } catch (err) {
    return [`${where}: ${(err as Error).message.replace(/^invalid configuration:\s*/, '').replace(/\n\s*/g, '; ')}`]
  }
}
