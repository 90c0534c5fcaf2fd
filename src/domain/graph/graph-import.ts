/**
 * Importing a reference `memory.jsonl` graph into a tool's graph: entities first, then relations,
 * through the service's create-only writes in chunks, so an import is idempotent (a second run
 * adds nothing) and merges with what the tool already has the way `create_entities` does (an
 * existing name is kept, not overwritten). The file is parsed and validated whole before the
 * first write, so a bad line imports nothing. A backend failure midway leaves a prefix that a
 * re-run completes — or, with `undoOnFailure` (only for a graph that was empty before, where
 * everything of the file that is there is the import's own), removes what it wrote.
 */
import type { Caller } from '../memory/caller.js'
import type { KnowledgeGraph, KnowledgeGraphService } from './knowledge-graph.js'

const CHUNK = 500

export interface GraphImportReport {
  entities: { added: number; skipped: number }
  relations: { added: number; skipped: number }
}

export async function importGraph(
  service: KnowledgeGraphService, caller: Caller, graph: KnowledgeGraph, options: { undoOnFailure?: boolean } = {},
): Promise<GraphImportReport> {
  try {
    return await write(service, caller, graph)
  } catch (err) {
    if (options.undoOnFailure) {
      for (const chunk of chunks(graph.relations)) await service.deleteRelations(caller, chunk).catch(() => {})
      for (const chunk of chunks(graph.entities)) await service.deleteEntities(caller, chunk.map((e) => e.name)).catch(() => {})
    }
    throw err
  }
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK))
  return out
}

async function write(service: KnowledgeGraphService, caller: Caller, graph: KnowledgeGraph): Promise<GraphImportReport> {
  let entitiesAdded = 0
  for (let i = 0; i < graph.entities.length; i += CHUNK) {
    entitiesAdded += (await service.createEntities(caller, graph.entities.slice(i, i + CHUNK))).length
  }
  let relationsAdded = 0
  for (let i = 0; i < graph.relations.length; i += CHUNK) {
    relationsAdded += (await service.createRelations(caller, graph.relations.slice(i, i + CHUNK))).length
  }
  return {
    entities: { added: entitiesAdded, skipped: graph.entities.length - entitiesAdded },
    relations: { added: relationsAdded, skipped: graph.relations.length - relationsAdded },
  }
}
