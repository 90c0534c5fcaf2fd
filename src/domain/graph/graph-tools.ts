/**
 * The nine knowledge-graph tools of the reference MCP memory server, as one table: name, input
 * schema (zod; like the reference, objects are not strict — unknown keys are dropped — while
 * missing or mistyped fields are a validation error) and how each runs on a `KnowledgeGraphService`
 * and shapes its result (the reference's `structuredContent`). `POST /v1/tools/:toolName` and the
 * MCP endpoint both dispatch through it, so the two cannot drift apart.
 *
 * Limits the reference does not have (it has none but the search query's 2048 characters) keep
 * hostile input bounded: at most 1000 items per list, names and types up to 1024 characters,
 * observations up to 64 KiB, well-formed Unicode without NUL (Postgres text cannot hold either).
 */
import { z } from 'zod'
import { safeText } from '../memory/memory-input.js'
import type { Caller } from '../memory/caller.js'
import type { Entity, KnowledgeGraph, KnowledgeGraphService, ObservationResult, Relation } from './knowledge-graph.js'

const MAX_ITEMS = 1000
const SAFE = 'must be well-formed Unicode without NUL characters'
const text = (max: number, what: string) => z.string().max(max, `${what} is at most ${max} characters`).refine(safeText, SAFE)
const Name = text(1024, 'a name')
const Observation = text(64 * 1024, 'an observation')
const list = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_ITEMS, `at most ${MAX_ITEMS} items`)

export const EntitySchema = z.object({
  name: Name.describe('The name of the entity'),
  entityType: text(1024, 'an entity type').describe('The type of the entity'),
  observations: list(Observation).describe('An array of observation contents associated with the entity'),
})
export const RelationSchema = z.object({
  from: Name.describe('The name of the entity where the relation starts'),
  to: Name.describe('The name of the entity where the relation ends'),
  relationType: text(1024, 'a relation type').describe('The type of the relation'),
})
export const SEARCH_QUERY_MAX_LENGTH = 2048

export const GRAPH_TOOL_INPUTS = {
  create_entities: z.object({ entities: list(EntitySchema) }),
  create_relations: z.object({ relations: list(RelationSchema) }),
  add_observations: z.object({
    observations: list(z.object({
      entityName: Name.describe('The name of the entity to add the observations to'),
      contents: list(Observation).describe('An array of observation contents to add'),
    })),
  }),
  delete_entities: z.object({ entityNames: list(Name).describe('An array of entity names to delete') }),
  delete_observations: z.object({
    deletions: list(z.object({
      entityName: Name.describe('The name of the entity containing the observations'),
      observations: list(Observation).describe('An array of observations to delete'),
    })),
  }),
  delete_relations: z.object({ relations: list(RelationSchema).describe('An array of relations to delete') }),
  read_graph: z.object({
    // A deviation: optional paging (unpaged graphs run to tens of thousands of tokens).
    limit: z.number().int().min(1).max(MAX_ITEMS).optional(),
    cursor: z.string().max(512).optional(),
  }),
  search_nodes: z.object({
    query: z.string().max(SEARCH_QUERY_MAX_LENGTH).refine(safeText, SAFE)
      .describe('The search query to match against entity names, types, and observation content'),
  }),
  open_nodes: z.object({ names: list(Name).describe('An array of entity names to retrieve') }),
} as const

export type GraphToolName = keyof typeof GRAPH_TOOL_INPUTS
export const GRAPH_TOOL_NAMES = Object.keys(GRAPH_TOOL_INPUTS) as GraphToolName[]

export function isGraphTool(name: string): name is GraphToolName {
  return Object.hasOwn(GRAPH_TOOL_INPUTS, name)
}

type Input<N extends GraphToolName> = z.infer<(typeof GRAPH_TOOL_INPUTS)[N]>

interface Done {
  success: true
  message: string
}

/** Each tool's structured result (the reference's `structuredContent`). */
export interface GraphToolResults {
  create_entities: { entities: Entity[] }
  create_relations: { relations: Relation[] }
  add_observations: { results: ObservationResult[] }
  delete_entities: Done
  delete_observations: Done
  delete_relations: Done
  read_graph: KnowledgeGraph & { nextCursor?: string | null }
  search_nodes: KnowledgeGraph
  open_nodes: KnowledgeGraph
}

/** Run tool `name` with already validated `input`; returns the reference's structured result. */
export async function runGraphTool<N extends GraphToolName>(
  service: KnowledgeGraphService, caller: Caller, name: N, input: Input<N>,
): Promise<GraphToolResults[N]> {
  return (await run(service, caller, name, input)) as GraphToolResults[N]
}

async function run(service: KnowledgeGraphService, caller: Caller, name: GraphToolName, input: unknown): Promise<GraphToolResults[GraphToolName]> {
  const args = input
  switch (name) {
    case 'create_entities':
      return { entities: await service.createEntities(caller, (args as Input<'create_entities'>).entities) }
    case 'create_relations':
      return { relations: await service.createRelations(caller, (args as Input<'create_relations'>).relations) }
    case 'add_observations':
      return { results: await service.addObservations(caller, (args as Input<'add_observations'>).observations) }
    case 'delete_entities':
      await service.deleteEntities(caller, (args as Input<'delete_entities'>).entityNames)
      return { success: true, message: 'Entities deleted successfully' }
    case 'delete_observations':
      await service.deleteObservations(caller, (args as Input<'delete_observations'>).deletions)
      return { success: true, message: 'Observations deleted successfully' }
    case 'delete_relations':
      await service.deleteRelations(caller, (args as Input<'delete_relations'>).relations)
      return { success: true, message: 'Relations deleted successfully' }
    case 'read_graph': {
      const { limit, cursor } = args as Input<'read_graph'>
      const page = await service.readGraph(caller, { limit, cursor: cursor ?? null })
      // Unpaged calls answer exactly as the reference does: {entities, relations}.
      return limit === undefined && cursor === undefined ? { entities: page.entities, relations: page.relations } : { ...page }
    }
    case 'search_nodes':
      return { ...(await service.searchNodes(caller, (args as Input<'search_nodes'>).query)) }
    case 'open_nodes':
      return { ...(await service.openNodes(caller, (args as Input<'open_nodes'>).names)) }
    default:
      throw new Error(`unknown graph tool ${String(name)}`)
  }
}
