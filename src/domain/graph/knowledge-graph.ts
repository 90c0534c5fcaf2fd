/**
 * The knowledge graph of the reference MCP memory server (entities, relations, observations), kept
 * as v2 entries of the calling tool: the model and the service contract the /v1 routes, the MCP
 * tools and the JSONL import/export share. Semantics follow `@modelcontextprotocol/server-memory`
 * 2026.8.31 except for the deliberate deviations documented in docs/migrating-from-v1.md.
 */
import type { Caller } from '../memory/caller.js'

export interface Entity {
  name: string
  entityType: string
  observations: string[]
}

export interface Relation {
  from: string
  to: string
  relationType: string
}

export interface KnowledgeGraph {
  entities: Entity[]
  relations: Relation[]
}

/** `read_graph` with paging (a deviation: unpaged graphs run to tens of thousands of tokens). */
export interface GraphPage extends KnowledgeGraph {
  /** Null when the graph is complete; pass it back as `cursor` for the rest. */
  nextCursor: string | null
}

export interface ObservationAddition {
  entityName: string
  contents: string[]
}

export interface ObservationResult {
  entityName: string
  addedObservations: string[]
}

export interface ObservationDeletion {
  entityName: string
  observations: string[]
}

export interface KnowledgeGraphService {
  /** The newly added entities, in input order; names that exist are skipped (not merged). */
  createEntities(caller: Caller, entities: Entity[]): Promise<Entity[]>
  /** The newly added relations; an identical (from, to, relationType) is skipped. */
  createRelations(caller: Caller, relations: Relation[]): Promise<Relation[]>
  /** Throws `entity_not_found` ("Entity with name <name> not found") and keeps nothing of the call. */
  addObservations(caller: Caller, additions: ObservationAddition[]): Promise<ObservationResult[]>
  /** Removes the entities and every relation from or to one of the names; unknown names are ignored. */
  deleteEntities(caller: Caller, names: string[]): Promise<void>
  deleteObservations(caller: Caller, deletions: ObservationDeletion[]): Promise<void>
  deleteRelations(caller: Caller, relations: Relation[]): Promise<void>
  /** Entities then relations, in insertion order. */
  readGraph(caller: Caller, page?: { limit?: number; cursor?: string | null }): Promise<GraphPage>
  searchNodes(caller: Caller, query: string): Promise<KnowledgeGraph>
  openNodes(caller: Caller, names: string[]): Promise<KnowledgeGraph>
}
