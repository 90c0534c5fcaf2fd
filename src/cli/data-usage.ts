/** Usage texts of the data commands, apart from their code so that `mcp-memory help` and `serve` load no data tools. */

export const BACKFILL_USAGE = `usage: mcp-memory backfill [options]
  copy every entry of blue (--from, STORE_URL) to green (--to, GREEN_STORE_URL) with applyMirror
  (newer version wins: rows dual-write already mirrored are left alone), in (tool, id) order.
  --checkpoint FILE       resume file (default ./data/backfill-checkpoint.json)
  --restart               discard the checkpoint and start over
  --chunk-size N          initial rows per chunk (default 500)
  --min-chunk N / --max-chunk N   adaptive chunk bounds (default 50 / 5000)
  --target-chunk-ms N     chunk time the size adapts to (default 500)
  --rows-per-second N     throttle (default 0 = unthrottled)
  --tools a,b             only these tools
  --dry-run               read and count only; writes nothing, not even the checkpoint
  --metrics-file PATH     write mcp_memory_backfill_rows_total there (Prometheus text format)
  A resume with other --from/--to/--tools/--chunk-size/--min-chunk/--max-chunk is refused.
  Ctrl-C / SIGTERM stops after the current chunk with the checkpoint saved.`

export const VERIFY_USAGE = `usage: mcp-memory verify [options]
  compare blue (--from, STORE_URL) and green (--to, GREEN_STORE_URL): per chunk, row count and an
  ordered sha256 of canonical rows (read stats excluded); differing chunks are narrowed to ids and
  re-checked after a delay before they count.
  --primary blue|green    the authoritative side (default blue; green once green is the write primary)
  --chunk-size N          rows per chunk (default 500)
  --recheck-ms N          delay before differing ids are re-read (default 1000)
  --repair                copy confirmed differences from the primary to the secondary, then re-check them;
                          refused while an outbox holds mirror writes older than 10 s (--force overrides)
  --expect-rows N         fewer compared rows is a failure (an empty source cannot pass silently)
  --json                  print the report as JSON
  --metrics-file PATH     write mcp_memory_verify_mismatch_rows_total there (Prometheus text format)`

export const BACKUP_USAGE = `usage: mcp-memory schema-verify | export | import [options]
  --store blue|green      which store (default blue; blue = --from / STORE_URL, green = --to / GREEN_STORE_URL)
schema-verify: validate every row (schema, patterns, limits, contentHash of content, dates); --json
export --out FILE|-      NDJSON, one entry per line in (tool, id) order, then a checksum trailer
import --in FILE         verify the trailer (refuse the whole file on a mismatch), validate each line
                         (any invalid line: nothing is written, exit 1), then write with applyMirror
                         (idempotent: importing twice only finds rows current)
  --skip-invalid         import the valid lines even when some are invalid`

export const JSONL_USAGE = `usage: mcp-memory import-jsonl FILE [--tool T] | export-jsonl [--tool T] [--out FILE|-]
  the reference MCP memory server's memory.jsonl, into / out of the knowledge graph of tool T
  (default MEMORY_TOOL, else "default") on STORE_URL (or --from URL).
  import: every line is validated first; a malformed line is reported with its number and nothing
          is imported (exit 1). Existing entity names are kept, as create_entities does; a second
          import of the same file adds nothing.
  export: entities then relations, compact JSON, one per line, no trailing newline (default stdout).`
