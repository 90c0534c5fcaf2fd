// EXPLAIN of the context benchmark: the statements of one request, captured from pg's Client.query, each run
// again under EXPLAIN (ANALYZE, BUFFERS), and the plan nodes that do unbounded work flagged.
import type { App } from '../../src/app.js'
import { withClient } from '../db.js'
import { captureStatements } from '../shared/pg-capture.js'
import { fmt } from '../shared/stats.js'
import { contextCall } from './measure.js'
import { dbUrl, type Case } from './settings.js'

export interface Explained { case: string; size: number; statement: number; text: string; values: unknown[]; plan: string; flags: string[]; executionMs: number }

/** Rows a scan may filter out, or a sort may read, before it counts as unbounded work (the search ranks at most 2,000 matches by design). */
export const FLAG_ROWS = 2_000

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Actual Rows'?: number
  'Actual Loops'?: number
  'Rows Removed by Filter'?: number
  Plans?: PlanNode[]
}

/** Seq Scans of memories, scans filtering out more than FLAG_ROWS rows, sorts reading more than FLAG_ROWS rows. */
function planFlags(node: PlanNode, out: string[] = []): string[] {
  const where = node['Index Name'] ? ` using ${node['Index Name']}` : node['Relation Name'] ? ` on ${node['Relation Name']}` : ''
  if (node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'memories') out.push(`Seq Scan on memories (${node['Actual Rows']} rows out, ${node['Rows Removed by Filter'] ?? 0} removed)`)
  const removed = (node['Rows Removed by Filter'] ?? 0) * (node['Actual Loops'] ?? 1)
  if (removed > FLAG_ROWS) out.push(`${node['Node Type']}${where}: ${fmt(removed)} rows removed by filter for ${fmt(node['Actual Rows'] ?? 0)} kept`)
  if (node['Node Type'] === 'Sort') {
    const input = (node.Plans ?? []).reduce((a, p) => a + (p['Actual Rows'] ?? 0) * (p['Actual Loops'] ?? 1), 0)
    if (input > FLAG_ROWS) out.push(`Sort of ${fmt(input)} rows`)
  }
  for (const child of node.Plans ?? []) planFlags(child, out)
  return out
}

/** The statements of one request (captured from pg's Client.query), each EXPLAIN (ANALYZE, BUFFERS)-ed. */
export async function explainCase(app: App, c: Case, size: number): Promise<Explained[]> {
  const captured = await captureStatements(() => contextCall(app, c))
  const reads = captured.filter((s) => /^\s*(SELECT|WITH)\b/i.test(s.text) && /\bmemories\b/.test(s.text))
  return withClient(dbUrl, async (client) => {
    const out: Explained[] = []
    for (const [i, s] of reads.entries()) {
      const json = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${s.text}`, s.values)
      const flags = planFlags(json.rows[0]!['QUERY PLAN'][0]!.Plan)
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${s.text}`, s.values)
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n')
      const exec = /Execution Time: ([\d.]+) ms/.exec(plan)
      out.push({ case: c.name, size, statement: i + 1, text: s.text, values: s.values, plan, flags, executionMs: exec ? Number(exec[1]) : NaN })
    }
    return out
  })
}
