// Seeded data of the graph benchmark (vocabulary, entities), its /v1 call helper, seeding and the four operations.
import type { App } from '../src/app.js'
import { prefilterNeedle } from '../src/domain/graph/graph-search.js'
import { BATCH, HEADERS, log, settings } from './graph-settings.js'
import { fmt, prng } from './shared/stats.js'
import { COMMON_WORDS, TOPIC_WORDS } from './words.js'

// ---------------------------------------------------------------------------------------- data

const ENTITY_TYPES = ['person', 'organization', 'project', 'place', 'event', 'concept']
/**
 * Rare words, each planted in RARE_HITS observations of the first `small` entities only, so a search
 * for one hits the same few entities at both sizes. None contains i/k (the adapter's SQL prefilter
 * drops those letters, see graph-search.ts), so the prefilter is the whole word; checked below to be
 * absent from the rest of the vocabulary.
 */
export const RARE_WORDS = [
  'quetzal', 'rhubarb', 'ocelot', 'gazpacho', 'tapestry', 'wombat', 'yodel', 'nebula',
  'plover', 'mongoose', 'abacus', 'papaya', 'sextant', 'tuxedo', 'banjo', 'sherbet',
]
const RARE_HITS = 5

export function checkVocabulary(): void {
  const vocabulary = [...COMMON_WORDS, ...TOPIC_WORDS, ...ENTITY_TYPES, 'entity', 'created', 'note']
  for (const word of RARE_WORDS) {
    const needle = prefilterNeedle(word)
    if (needle !== word) throw new Error(`rare word ${word}: prefilter would be ${needle}`)
    const clash = vocabulary.find((v) => v.toLowerCase().includes(word))
    if (clash) throw new Error(`rare word ${word} occurs in ${clash}`)
  }
}

export const pad = (n: number) => String(n).padStart(6, '0')
export const entityName = (i: number) => `entity-${pad(i)}`

function sentence(random: () => number, words: number): string {
  const out: string[] = []
  for (let k = 0; k < words; k++) {
    out.push(random() < 0.35
      ? COMMON_WORDS[Math.floor(random() * COMMON_WORDS.length)]!
      : TOPIC_WORDS[Math.floor(random() * random() * TOPIC_WORDS.length)]!)
  }
  return out.join(' ')
}

export interface Entity { name: string; entityType: string; observations: string[] }

/** Seeded entity `i`: 3 observations of 4–9 words; among the first `small`, RARE_HITS per rare word. */
function seededEntity(i: number, small: number): Entity {
  const random = prng(i * 2654435761)
  const observations = [0, 1, 2].map(() => sentence(random, 4 + Math.floor(random() * 6)))
  // Spread the rare words evenly over the first `small` entities: word w goes to entities
  // w * stride + h * step (h < RARE_HITS), into the second observation.
  const step = Math.floor(small / RARE_HITS)
  const stride = Math.max(1, Math.floor(step / RARE_WORDS.length))
  if (i < step * RARE_HITS && i % step < RARE_WORDS.length * stride && (i % step) % stride === 0) {
    const word = RARE_WORDS[Math.floor((i % step) / stride)]!
    observations[1] = `${observations[1]} ${word}`
  }
  return { name: entityName(i), entityType: ENTITY_TYPES[Math.floor(random() * ENTITY_TYPES.length)]!, observations }
}

// ---------------------------------------------------------------------------------------- HTTP

interface InjectOptions { method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: unknown }

export class BenchFailure extends Error {}

export async function call<T = unknown>(app: App, options: InjectOptions): Promise<T> {
  const response = await app.server.inject({
    method: options.method, url: options.url, headers: HEADERS,
    ...(options.payload === undefined ? {} : { payload: options.payload as object }),
  })
  if (response.statusCode < 200 || response.statusCode > 299) {
    throw new BenchFailure(`${options.method} ${options.url} → ${response.statusCode}: ${response.body.slice(0, 500)}`)
  }
  return response.json() as T
}

export async function seed(app: App, from: number, to: number, small: number): Promise<number> {
  const started = performance.now()
  let next = from
  let done = 0
  let lastLog = started
  const worker = async () => {
    while (next < to) {
      const start = next
      const end = Math.min(to, start + BATCH)
      next = end
      const entities: Entity[] = []
      for (let i = start; i < end; i++) entities.push(seededEntity(i, small))
      const result = await call<{ entities: Entity[] }>(app, { method: 'POST', url: '/v1/entities', payload: { entities } })
      if (result.entities.length !== entities.length) {
        throw new BenchFailure(`seeding ${entityName(start)}…: ${result.entities.length} of ${entities.length} added`)
      }
      done += entities.length
      if (performance.now() - lastLog > 15_000) {
        lastLog = performance.now()
        log(`  seeded ${fmt(done)} of ${fmt(to - from)} (${fmt(done / ((lastLog - started) / 1000))} entities/s)`)
      }
    }
  }
  await Promise.all(Array.from({ length: settings.seedParallel }, worker))
  return (performance.now() - started) / 1000
}

// ---------------------------------------------------------------------------------------- operations

export interface Phase {
  /** Entities of the tool: the seeded ones, entity-000000 … entity-<size - 1>. */
  size: number
  /** Counters of this size's created entities and added observations (unique names and texts). */
  created: number
  observed: number
  queries: string[]
  /** Observations add_observations added since the last restore, by entity name. */
  added: Map<string, string[]>
}

export interface Operation {
  name: string
  describe: string
  /** One request; returns the number of entities the answer held (for search/open), else 0. */
  run(app: App, phase: Phase, random: () => number): Promise<number>
}

export const ALL_OPERATIONS: Operation[] = [
  {
    name: 'search_nodes',
    describe: 'GET /v1/search?query= rotating a rare word (5 hits) and a name fragment entity-0001x (10 hits)',
    async run(app, phase, random) {
      const query = phase.queries[Math.floor(random() * phase.queries.length)]!
      const result = await call<{ entities: Entity[] }>(app, { method: 'GET', url: `/v1/search?query=${encodeURIComponent(query)}` })
      return result.entities.length
    },
  },
  {
    name: 'open_nodes',
    describe: 'POST /v1/nodes/open {names}: 3 random seeded names',
    async run(app, phase, random) {
      const names = [0, 1, 2].map(() => entityName(Math.floor(random() * phase.size)))
      const result = await call<{ entities: Entity[] }>(app, { method: 'POST', url: '/v1/nodes/open', payload: { names } })
      if (result.entities.length !== new Set(names).size) throw new BenchFailure(`open_nodes ${names.join(', ')} found ${result.entities.length}`)
      return result.entities.length
    },
  },
  {
    name: 'add_observations',
    describe: 'POST /v1/observations: one new observation on a random seeded entity',
    async run(app, phase, random) {
      const entityName_ = entityName(Math.floor(random() * phase.size))
      const n = ++phase.observed
      const contents = [`${sentence(random, 5)} (note ${phase.size}-${n})`]
      const result = await call<{ results: Array<{ addedObservations: string[] }> }>(app, {
        method: 'POST', url: '/v1/observations', payload: { observations: [{ entityName: entityName_, contents }] },
      })
      if (result.results[0]?.addedObservations.length !== 1) throw new BenchFailure(`add_observations on ${entityName_} added nothing`)
      const added = phase.added.get(entityName_)
      if (added) added.push(...contents)
      else phase.added.set(entityName_, [...contents])
      return 0
    },
  },
  {
    name: 'create_entities',
    describe: 'POST /v1/entities: 1 new entity with 3 observations',
    async run(app, phase, random) {
      const n = ++phase.created
      const entity: Entity = {
        name: `created-${phase.size}-${pad(n)}`,
        entityType: ENTITY_TYPES[Math.floor(random() * ENTITY_TYPES.length)]!,
        observations: [0, 1, 2].map(() => sentence(random, 4 + Math.floor(random() * 6))),
      }
      const result = await call<{ entities: Entity[] }>(app, { method: 'POST', url: '/v1/entities', payload: { entities: [entity] } })
      if (result.entities.length !== 1) throw new BenchFailure(`create_entities ${entity.name} added ${result.entities.length}`)
      return 0
    },
  },
]

export const OPERATIONS = settings.only.length === 0 ? ALL_OPERATIONS : ALL_OPERATIONS.filter((op) => settings.only.includes(op.name))
for (const name of settings.only) {
  if (!ALL_OPERATIONS.some((op) => op.name === name)) throw new Error(`BENCH_GRAPH_ONLY: unknown operation ${name} (${ALL_OPERATIONS.map((op) => op.name).join(', ')})`)
}
