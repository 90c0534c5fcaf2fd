/** YAML loading for the deploy checks: every document of every file, with errors naming the file. */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'

export type Obj = Record<string, unknown>

/** All documents of a (multi-document) YAML text; throws naming the source and the first error. */
export function parseYamlDocs(text: string, source: string): unknown[] {
  return parseAllDocuments(text).map((doc, i) => {
    const error = doc.errors[0]
    if (error) throw new Error(`${source}: document ${i + 1} is not valid YAML: ${error.message}`)
    return doc.toJS({ maxAliasCount: 100 }) as unknown
  }).filter((d) => d !== null && d !== undefined)
}

export function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

export function readYamlFile(file: string): unknown[] {
  return parseYamlDocs(readFileSync(file, 'utf8'), file)
}

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** `obj.a.b.c` without a chain of casts; undefined when any step is missing. */
export function at(v: unknown, ...path: Array<string | number>): unknown {
  let cur = v
  for (const key of path) {
    if (Array.isArray(cur) && typeof key === 'number') cur = cur[key]
    else if (isObj(cur) && typeof key === 'string') cur = cur[key]
    else return undefined
  }
  return cur
}

export const objs = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : [])
export const strMap = (v: unknown): Record<string, string> =>
  isObj(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)])) : {}
