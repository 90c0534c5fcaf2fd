/** Composite Map keys of the in-memory store: `tool` and a second part joined by NUL (which no tool name contains). */
export function pair(tool: string, value: string): string {
  return `${tool}\u0000${value}`
}
