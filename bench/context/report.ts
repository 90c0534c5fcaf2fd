// Reporting of the context benchmark: the EXPLAIN section and the results tables.
import { fmt } from '../shared/stats.js'
import { FLAG_ROWS, type Explained } from './explain.js'
import type { Result } from './measure.js'
import type { SeedFacts } from './seed.js'
import { CASES, COMMON_WORD, OTHER_TOOL, RARE_WORD, settings } from './settings.js'

/** A statement for printing: the long column list shortened. */
function shortSql(text: string): string {
  return text.replace(/(?:\b[mcu]\.)?tool, (?:[mcu]\.)?id, (?:[mcu]\.)?type,[^\n]*?content_blob/g, '<columns>').trim()
}

/** The EXPLAIN section: a line per statement, full plans at the large size, then the flagged statements per size. */
export function printExplains(explains: Explained[]): void {
  console.log('\nEXPLAIN (ANALYZE, BUFFERS) of the statements of one request per case (full plans at the large size; ' +
    `flagged: Seq Scan on memories, > ${fmt(FLAG_ROWS)} rows removed by a filter, sort of > ${fmt(FLAG_ROWS)} rows):\n`)
  for (const size of [settings.small, settings.large]) {
    for (const e of explains.filter((x) => x.size === size)) {
      const head = `--- ${e.case} at ${fmt(size)} entries, statement ${e.statement}: ${e.executionMs.toFixed(2)} ms` +
        `${e.flags.length > 0 ? `  ⚠ ${e.flags.join('; ')}` : ''}`
      if (size === settings.large) {
        console.log(`${head}\n${shortSql(e.text)}\n-- values: ${JSON.stringify(e.values.map((v) => (v instanceof Date ? v.toISOString() : v)))}\n${e.plan}\n`)
      } else console.log(head)
    }
    console.log('')
  }
  for (const size of [settings.small, settings.large]) {
    const flagged = explains.filter((e) => e.size === size && e.flags.length > 0)
    console.log(`At ${fmt(size)} entries: ${flagged.length === 0
      ? 'no Seq Scan on memories, no large filter or sort.'
      : `FLAGGED ${flagged.map((e) => `${e.case} #${e.statement} (${e.flags.join('; ')})`).join(', ')}`}` +
      `${size === settings.small && flagged.some((e) => e.flags.some((f) => f.startsWith('Seq Scan'))) ? ' (on a table this small a Seq Scan can be the planner\'s right choice)' : ''}`)
  }
}

export function report(results: Result[], seeds: Map<number, SeedFacts>): string {
  const lines: string[] = []
  const ms = (n: number) => n.toFixed(2)
  lines.push(`| case | entries | p50 ms | p95 ms | p99 ms | max ms | node CPU µs/req | pg CPU µs/req | req/s (${settings.concurrency} loops) | p99 ms (${settings.concurrency} loops) | items / tokens / candidates | other cores |`)
  lines.push('|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
  for (const c of CASES) {
    for (const size of [settings.small, settings.large]) {
      const r = results.find((x) => x.case === c.name && x.size === size)
      if (!r) continue
      lines.push(`| ${c.name} | ${fmt(size)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${fmt(r.nodeUs)} | ${fmt(r.pgUs)} | ` +
        `${r.rps === null ? '–' : fmt(r.rps, 1)} | ${r.rpsP99 === null ? '–' : r.rpsP99.toFixed(1)} | ` +
        `${r.shape.items} / ${fmt(r.shape.totalTokens)} / ${r.shape.candidates} | ` +
        `${r.otherCores.toFixed(2)}${r.rpsOtherCores === null ? '' : ` / ${r.rpsOtherCores.toFixed(2)}`}${Math.max(r.otherCores, r.rpsOtherCores ?? 0) > 0.25 ? ' ⚠' : ''} |`)
    }
  }
  lines.push('', `| case | p50 ratio (${fmt(settings.large)} / ${fmt(settings.small)}) | p95 ratio | p99 ratio | pg CPU/req ratio | throughput ratio |`)
  lines.push('|:--|--:|--:|--:|--:|--:|')
  for (const c of CASES) {
    const s = results.find((x) => x.case === c.name && x.size === settings.small)
    const l = results.find((x) => x.case === c.name && x.size === settings.large)
    if (!s || !l) continue
    lines.push(`| ${c.name} | ${(l.p50 / s.p50).toFixed(2)}× | ${(l.p95 / s.p95).toFixed(2)}× | ${(l.p99 / s.p99).toFixed(2)}× | ` +
      `${(l.pgUs / s.pgUs).toFixed(2)}× | ${s.rps && l.rps ? `${(l.rps / s.rps).toFixed(2)}×` : '–'} |`)
  }
  lines.push('', 'Seeded data:')
  for (const [size, f] of seeds) {
    lines.push(`  ${fmt(size)} entries: ${f.seconds.toFixed(1)} s (load ${f.loadSeconds.toFixed(1)} s, indexes ${f.indexSeconds.toFixed(1)} s), ` +
      `tokens ${f.tokens.min}–${f.tokens.max} (mean ${f.tokens.avg.toFixed(0)}), ${fmt(f.compressed)} compressed, ${fmt(f.shared)} shared, ` +
      `"${COMMON_WORD}" in ${fmt(f.commonMatches)}, "${RARE_WORD}" in ${f.rareMatches}, memories ${f.tableSize} with indexes` +
      `${settings.otherTool > 0 ? ` (+ ${fmt(settings.otherTool)} entries of ${OTHER_TOOL})` : ''}`)
  }
  lines.push('', 'CPU µs/req: of this process (app + the loops + the bench\'s JSON.parse of the answer) and of the database\'s Postgres ' +
    'processes, sequential phase. other cores: CPU the rest of the machine used meanwhile, sequential / loops (⚠ above 0.25: ' +
    'someone else\'s load shared the CPUs).')
  const worst = Math.max(...results.filter((r) => r.size === settings.large).map((r) => r.p99))
  lines.push('', `Highest sequential p99 at ${fmt(settings.large)} entries: ${worst.toFixed(2)} ms`)
  return lines.join('\n')
}
