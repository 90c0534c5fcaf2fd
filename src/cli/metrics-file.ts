/**
 * `--metrics-file PATH` of backfill and verify: they run as separate processes (a Kubernetes Job),
 * so their counters (`mcp_memory_backfill_rows_total`, `mcp_memory_verify_mismatch_rows_total`)
 * are written at the end in the Prometheus text format, for node_exporter's textfile collector or
 * a push to a Pushgateway. Written to a temp file and renamed, so a scraper never reads half a file.
 */
import { rename, writeFile } from 'node:fs/promises'
import { Registry } from 'prom-client'
import { METRIC_PREFIX } from '../metrics/create-metrics.js'
import { createTrafficMetrics, type TrafficMetrics } from '../metrics/traffic-metrics.js'

export interface CommandMetrics {
  metrics: TrafficMetrics
  /** Write the named metric families to `path` (no-op without a path). */
  write(path: string | undefined, names: Array<keyof TrafficMetrics>): Promise<void>
}

/** prom-client keeps the name on the metric object without declaring it in its types. */
function metricName(metric: object): string {
  return (metric as { name: string }).name
}

export function commandMetrics(): CommandMetrics {
  const registry = new Registry()
  const metrics = createTrafficMetrics(registry, METRIC_PREFIX)
  return {
    metrics,
    async write(path, names) {
      if (path === undefined) return
      const parts = await Promise.all(names.map((n) => registry.getSingleMetricAsString(metricName(metrics[n]))))
      const temp = `${path}.${process.pid}.tmp`
      await writeFile(temp, parts.join('\n') + '\n')
      await rename(temp, path)
    },
  }
}
