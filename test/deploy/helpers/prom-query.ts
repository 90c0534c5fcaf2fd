/**
 * Metric names referenced by a PromQL expression, without a PromQL parser dependency: a small
 * tokenizer that skips strings, label matchers `{…}`, ranges/subqueries `[…]`, numbers and
 * durations, comments and Grafana variables, drops label lists after `by`/`without`/`on`/
 * `ignoring`/`group_left`/`group_right`, and treats an identifier before `(` as a function call.
 * Whatever identifier is left is a metric (or recording rule) name. Unknown function names are
 * reported too, since neither Grafana nor these tests would otherwise notice a misspelt one.
 */

const FUNCTIONS = new Set([
  'abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'avg_over_time', 'ceil', 'changes',
  'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh', 'count_over_time', 'day_of_month', 'day_of_week', 'day_of_year',
  'days_in_month', 'deg', 'delta', 'deriv', 'double_exponential_smoothing', 'exp', 'floor', 'histogram_avg',
  'histogram_count', 'histogram_fraction', 'histogram_quantile', 'histogram_stddev', 'histogram_stdvar', 'histogram_sum',
  'holt_winters', 'hour', 'idelta', 'increase', 'info', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln',
  'log10', 'log2', 'mad_over_time', 'max_over_time', 'min_over_time', 'minute', 'month', 'pi', 'predict_linear',
  'present_over_time', 'quantile_over_time', 'rad', 'rate', 'resets', 'round', 'scalar', 'sgn', 'sin', 'sinh', 'sort',
  'sort_by_label', 'sort_by_label_desc', 'sort_desc', 'sqrt', 'stddev_over_time', 'stdvar_over_time', 'sum_over_time',
  'tan', 'tanh', 'time', 'timestamp', 'vector', 'year',
  // `@ start()` / `@ end()` modifiers.
  'start', 'end',
])

const AGGREGATIONS = new Set([
  'avg', 'bottomk', 'count', 'count_values', 'group', 'limit_ratio', 'limitk', 'max', 'min', 'quantile', 'stddev', 'stdvar', 'sum', 'topk',
])

/** Followed by a parenthesised list of label names (optional for group_left/group_right). */
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right'])

const KEYWORDS = new Set(['and', 'or', 'unless', 'atan2', 'offset', 'bool', 'inf', 'nan'])

export interface QueryNames {
  /** Metric and recording-rule names. */
  metrics: Set<string>
  /** Identifiers called like functions that PromQL does not know. */
  unknownFunctions: Set<string>
}

export function namesInQuery(expr: string): QueryNames {
  const metrics = new Set<string>()
  const unknownFunctions = new Set<string>()
  const s = expr
  let i = 0
  const skipSpaces = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++
  }
  /** Index after the closing delimiter, skipping strings inside (label values may hold `}` or `)`). */
  const skipBalanced = (open: string, close: string) => {
    let depth = 0
    while (i < s.length) {
      const c = s[i]!
      if (c === '"' || c === "'" || c === '`') skipString()
      else {
        if (c === open) depth++
        else if (c === close && --depth === 0) return void i++
        i++
      }
    }
  }
  const skipString = () => {
    const quote = s[i++]
    while (i < s.length && s[i] !== quote) i += s[i] === '\\' && quote !== '`' ? 2 : 1
    i++
  }
  while (i < s.length) {
    const c = s[i]!
    if (/\s/.test(c)) i++
    else if (c === '#') while (i < s.length && s[i] !== '\n') i++
    else if (c === '"' || c === "'" || c === '`') skipString()
    else if (c === '{') skipBalanced('{', '}')
    else if (c === '[') skipBalanced('[', ']')
    else if (c === '$') {
      // Grafana variable: ${name…}, $name, $__interval.
      i++
      if (s[i] === '{') skipBalanced('{', '}')
      else while (i < s.length && /\w/.test(s[i]!)) i++
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(s[i + 1] ?? ''))) {
      // Numbers, hex, exponents and durations (5m, 1h30m).
      while (i < s.length && /[0-9a-zA-Z_.]/.test(s[i]!)) {
        i++
        if (/[eE]/.test(s[i - 1]!) && /[+-]/.test(s[i] ?? '') && !/^0x/i.test(s.slice(0, i))) i++
      }
    } else if (/[a-zA-Z_:]/.test(c)) {
      const start = i
      while (i < s.length && /[a-zA-Z0-9_:]/.test(s[i]!)) i++
      const word = s.slice(start, i)
      const lower = word.toLowerCase()
      skipSpaces()
      const next = s[i]
      if (LABEL_LISTS.has(lower)) {
        if (next === '(') skipBalanced('(', ')')
      } else if (next === '(') {
        if (!FUNCTIONS.has(word) && !AGGREGATIONS.has(word)) unknownFunctions.add(word)
      } else if (AGGREGATIONS.has(word) && /^(by|without)\b/i.test(s.slice(i))) {
        // `sum by (job) (…)`: the label list is skipped on the next round.
      } else if (!KEYWORDS.has(lower)) {
        metrics.add(word)
      }
    } else i++
  }
  return { metrics, unknownFunctions }
}

/**
 * The PromQL inside a Grafana variable query: `label_values(expr, label)` → `expr`,
 * `query_result(expr)` → `expr`; label_names()/metrics() and one-argument label_values name no metric.
 */
export function variableQueryExpr(query: string): string | null {
  const q = query.trim()
  const labelValues = /^label_values\(([\s\S]*),\s*[a-zA-Z_]\w*\s*\)$/.exec(q)
  if (labelValues) return labelValues[1]!
  const result = /^query_result\(([\s\S]*)\)$/.exec(q)
  if (result) return result[1]!
  if (/^(label_values|label_names|metrics)\(/.test(q)) return null
  return q
}
