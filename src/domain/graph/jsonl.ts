/**
 * The reference MCP memory server's `memory.jsonl` file: one JSON object per line, entities
 * `{"type":"entity","name","entityType","observations"}` then relations
 * `{"type":"relation","from","to","relationType"}`.
 *
 * Parsing is stricter than the reference (which silently skips what it cannot read): blank lines
 * and objects whose `type` is neither `entity` nor `relation` are skipped, but a line that is not
 * JSON, not an object, or an entity/relation with missing or mistyped fields is an error naming its
 * line number (1-based), so an import never keeps half a file. Unknown fields are dropped.
 *
 * Formatting gives the reference's bytes: compact JSON with the reference's key order, entities
 * then relations, joined by `\n`, no trailing newline.
 */
import { z } from 'zod'
import { AppError } from '../../errors/app-error.js'
import type { Entity, KnowledgeGraph, Relation } from './knowledge-graph.js'

export interface JsonlLineError {
  /** 1-based line number in the file. */
  line: number
  message: string
}

export type JsonlParseResult =
  | { ok: true; graph: KnowledgeGraph; /** Blank lines and lines of other types. */ skipped: number }
  | { ok: false; /** The first MAX_JSONL_ERRORS bad lines. */ errors: JsonlLineError[]; /** All bad lines. */ invalidLines: number }

/** Bad lines reported per file at most. */
export const MAX_JSONL_ERRORS = 20

const EntityLine = z.object({ name: z.string(), entityType: z.string(), observations: z.array(z.string()) })
const RelationLine = z.object({ from: z.string(), to: z.string(), relationType: z.string() })

export function parseMemoryJsonl(text: string): JsonlParseResult {
  const graph: KnowledgeGraph = { entities: [], relations: [] }
  const errors: JsonlLineError[] = []
  let failed = 0
  let skipped = 0
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split('\n')
  lines.forEach((raw, index) => {
    const line = index + 1
    const problem = (message: string) => {
      if (failed++ < MAX_JSONL_ERRORS) errors.push({ line, message })
    }
    if (raw.trim() === '') {
      skipped++
      return
    }
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      problem('not valid JSON')
      return
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problem('not a JSON object')
      return
    }
    const type = (value as { type?: unknown }).type
    if (type === 'entity') {
      const parsed = EntityLine.safeParse(value)
      if (parsed.success) graph.entities.push(parsed.data)
      else problem(`invalid entity: ${describeIssues(parsed.error)}`)
    } else if (type === 'relation') {
      const parsed = RelationLine.safeParse(value)
      if (parsed.success) graph.relations.push(parsed.data)
      else problem(`invalid relation: ${describeIssues(parsed.error)}`)
    } else {
      skipped++
    }
  })
  return failed > 0 ? { ok: false, errors, invalidLines: failed } : { ok: true, graph, skipped }
}

/** Like `parseMemoryJsonl`, but a bad file throws `validation_failed` naming the first bad line. */
export function parseMemoryJsonlOrThrow(text: string): KnowledgeGraph {
  const result = parseMemoryJsonl(text)
  if (result.ok) return result.graph
  const first = result.errors[0]!
  const more = result.invalidLines > 1 ? ` (and ${result.invalidLines - 1} more invalid line(s))` : ''
  throw new AppError('validation_failed', `memory.jsonl line ${first.line}: ${first.message}${more}`, {
    errors: result.errors.map((e) => ({ pointer: `/line/${e.line}`, message: e.message })),
  })
}

/** The reference server's file for `graph`: compact lines, entities then relations, no trailing newline. */
export function formatMemoryJsonl(graph: KnowledgeGraph): string {
  return [...graph.entities.map(entityLine), ...graph.relations.map(relationLine)].join('\n')
}

function entityLine(e: Entity): string {
  return JSON.stringify({ type: 'entity', name: e.name, entityType: e.entityType, observations: e.observations })
}

function relationLine(r: Relation): string {
  return JSON.stringify({ type: 'relation', from: r.from, to: r.to, relationType: r.relationType })
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(line)'}: ${issue.message}`)
    .join('; ')
}
