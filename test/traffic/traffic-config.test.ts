/** resolveTrafficSettings (presets, refinements, every invariant) and parseTrafficFile (JSON/YAML). */
import t from 'tap'
import { STAGES, STAGE_PRESETS, type Stage } from '../../src/traffic/stages.js'
import {
  parseTrafficFile,
  resolveTrafficSettings,
  trafficValuesFromConfig,
  type RawTrafficValues,
} from '../../src/traffic/traffic-config.js'
import { loadConfig } from '../../src/config/load-config.js'

const base = (stage: Stage, extra: Partial<RawTrafficValues> = {}): RawTrafficValues => ({
  stage, routingKey: 'tool', routingSalt: 'mcp-memory', allowComplete: stage === 'complete', ...extra,
})

function errorsOf(raw: RawTrafficValues): string[] {
  const r = resolveTrafficSettings(raw)
  return r.ok ? [] : r.errors
}

t.test('each stage preset resolves as is', async (t) => {
  for (const stage of STAGES) {
    const r = resolveTrafficSettings(base(stage))
    t.ok(r.ok, `${stage} preset is valid`)
    if (r.ok) t.same(r.settings, { ...STAGE_PRESETS[stage], ...base(stage) }, `${stage}: the preset dials`)
  }
})

t.test('explicit values refine a stage', async (t) => {
  const r = resolveTrafficSettings(base('live', { greenReadPercent: 10, greenWritePercent: 0, shadowReadPercent: 25 }))
  t.ok(r.ok)
  if (r.ok) {
    t.match(r.settings, { stage: 'live', greenReadPercent: 10, greenWritePercent: 0, shadowReadPercent: 25, dualWrite: true })
  }
  const shadow = resolveTrafficSettings(base('shadow', { shadowReadPercent: 5, routingKey: 'id', routingSalt: 's2' }))
  t.ok(shadow.ok)
  if (shadow.ok) t.match(shadow.settings, { stage: 'shadow', shadowReadPercent: 5, greenReadPercent: 0, routingKey: 'id', routingSalt: 's2' })
})

t.test('valid combinations', async (t) => {
  const valid: [string, RawTrafficValues][] = [
    ['live read 10 write 0', base('live', { greenReadPercent: 10, greenWritePercent: 0 })],
    ['live read 50 write 0', base('live', { greenReadPercent: 50, greenWritePercent: 0 })],
    ['live read 50 write 50', base('live', { greenReadPercent: 50, greenWritePercent: 50 })],
    ['live read 100 write 10', base('live', { greenReadPercent: 100, greenWritePercent: 10 })],
    ['live read 100 write 100', base('live', { greenReadPercent: 100, greenWritePercent: 100 })],
    ['rampdown shadow 0', base('rampdown', { shadowReadPercent: 0 })],
    ['dualwrite with shadow 0', base('dualwrite', { shadowReadPercent: 0 })],
    ['complete with dual-write kept on', base('complete', { dualWrite: true })],
    ['off with explicit zeros', base('off', { greenReadPercent: 0, greenWritePercent: 0, shadowReadPercent: 0, dualWrite: false })],
  ]
  for (const [label, raw] of valid) t.same(errorsOf(raw), [], label)
})

t.test('every rule is enforced with a message naming the rule and the values', async (t) => {
  const cases: [rule: string, raw: RawTrafficValues, mentions: RegExp][] = [
    ['write-within-read', base('live', { greenReadPercent: 10, greenWritePercent: 50 }),
      /TRAFFIC_GREEN_WRITE_PERCENT \(50\) must not exceed TRAFFIC_GREEN_READ_PERCENT \(10\)/],
    ['green-serving-needs-live', base('shadow', { greenReadPercent: 10 }), /TRAFFIC_STAGE \(shadow\).*TRAFFIC_GREEN_READ_PERCENT \(10\)/],
    ['green-serving-needs-live', base('dualwrite', { greenReadPercent: 5, greenWritePercent: 5 }), /TRAFFIC_GREEN_WRITE_PERCENT \(5\)/],
    ['off-sends-nothing', base('off', { dualWrite: true }), /use stage dualwrite/],
    ['off-sends-nothing', base('off', { shadowReadPercent: 1, dualWrite: true }), /TRAFFIC_SHADOW_READ_PERCENT \(1\)/],
    ['stage-needs-dual-write', base('dualwrite', { dualWrite: false }), /TRAFFIC_STAGE \(dualwrite\) requires TRAFFIC_DUAL_WRITE=true/],
    ['stage-needs-dual-write', base('live', { dualWrite: false, shadowReadPercent: 0 }), /rollback loses nothing/],
    ['stage-needs-dual-write', base('rampdown', { dualWrite: false }), /TRAFFIC_STAGE \(rampdown\)/],
    ['shadow-needs-dual-write', base('complete', { shadowReadPercent: 10 }), /TRAFFIC_SHADOW_READ_PERCENT \(10\) requires TRAFFIC_DUAL_WRITE=true/],
    ['complete-needs-allow', base('complete', { allowComplete: false }), /TRAFFIC_ALLOW_COMPLETE=true/],
    ['complete-is-all-green', base('complete', { greenReadPercent: 90, greenWritePercent: 90 }),
      /TRAFFIC_GREEN_READ_PERCENT \(90\) and TRAFFIC_GREEN_WRITE_PERCENT \(90\) to be 100/],
  ]
  for (const [rule, raw, mentions] of cases) {
    const errors = errorsOf(raw)
    const message = errors.find((e) => e.startsWith(`[${rule}] `))
    t.ok(message, `${rule} reported for ${JSON.stringify(raw)}`)
    t.match(message ?? '', mentions, `${rule}: the message names the values`)
  }
})

t.test('the two dual-write rules have distinct messages, and every violation is reported', async (t) => {
  const both = errorsOf(base('shadow', { dualWrite: false }))
  t.same(both.map((e) => /^\[([a-z-]+)\]/.exec(e)?.[1]), ['stage-needs-dual-write', 'shadow-needs-dual-write'])
  t.not(both[0], both[1])
  const many = errorsOf(base('complete', { allowComplete: false, greenReadPercent: 10, greenWritePercent: 20 }))
  t.same(many.map((e) => /^\[([a-z-]+)\]/.exec(e)?.[1]), ['write-within-read', 'complete-needs-allow', 'complete-is-all-green'])
  const off = errorsOf(base('off', { greenReadPercent: 20 }))
  t.same(off.map((e) => /^\[([a-z-]+)\]/.exec(e)?.[1]), ['green-serving-needs-live', 'off-sends-nothing'])
})

t.test('values outside their range are refused even when they bypass the parsers', async (t) => {
  t.match(errorsOf(base('live', { greenReadPercent: 101 })), [/^\[percent-range\] TRAFFIC_GREEN_READ_PERCENT \(101\)/])
  t.match(errorsOf(base('live', { routingSalt: '' })), [/^\[routing-salt\]/])
})

t.test('trafficValuesFromConfig reads the parsed environment', async (t) => {
  const c = loadConfig({
    GREEN_STORE_URL: 'memory://', TRAFFIC_STAGE: 'live', TRAFFIC_GREEN_READ_PERCENT: '30', TRAFFIC_GREEN_WRITE_PERCENT: '0',
    TRAFFIC_ROUTING_KEY: 'id', TRAFFIC_ROUTING_SALT: 'salty',
  })
  t.same(trafficValuesFromConfig(c), {
    stage: 'live', greenReadPercent: 30, greenWritePercent: 0, dualWrite: undefined, shadowReadPercent: undefined,
    routingKey: 'id', routingSalt: 'salty', allowComplete: false,
  })
})

t.test('parseTrafficFile: JSON and YAML, strings or typed values', async (t) => {
  const json = parseTrafficFile(
    ' \n{"TRAFFIC_STAGE":"live","TRAFFIC_GREEN_READ_PERCENT":"50","TRAFFIC_GREEN_WRITE_PERCENT":10,"TRAFFIC_DUAL_WRITE":true,"TRAFFIC_ALLOW_COMPLETE":"false"}',
    'traffic.json',
  )
  t.same(json, { ok: true, values: { stage: 'live', greenReadPercent: 50, greenWritePercent: 10, dualWrite: true, allowComplete: false } })

  const yaml = parseTrafficFile(
    [
      '# as a ConfigMap holds it', 'TRAFFIC_STAGE: shadow', 'TRAFFIC_SHADOW_READ_PERCENT: "25"', 'TRAFFIC_DUAL_WRITE: "yes"',
      'TRAFFIC_ROUTING_KEY: id', 'TRAFFIC_ROUTING_SALT: s-2', 'TRAFFIC_GREEN_READ_PERCENT: 0', '',
    ].join('\n'),
    'traffic.yaml',
  )
  t.same(yaml, { ok: true, values: { stage: 'shadow', shadowReadPercent: 25, dualWrite: true, routingKey: 'id', routingSalt: 's-2', greenReadPercent: 0 } })

  t.same(parseTrafficFile('TRAFFIC_STAGE: off\nTRAFFIC_DUAL_WRITE: false\n', 'f.yaml'), { ok: true, values: { stage: 'off', dualWrite: false } }, 'YAML 1.2: off is a string')
  t.same(parseTrafficFile('', 'empty.yaml'), { ok: true, values: {} }, 'an empty file sets nothing')
  t.same(parseTrafficFile('TRAFFIC_GREEN_READ_PERCENT: ""\n', 'f.yaml'), { ok: true, values: {} }, 'an empty value is unset')
})

t.test('parseTrafficFile: unknown keys, bad values and bad syntax are rejected by name', async (t) => {
  const typo = parseTrafficFile('TRAFFIC_STAGE: live\nTRAFFIC_GREEN_READ_PERCNT: 50\n', 'cm.yaml')
  t.equal(typo.ok, false)
  if (!typo.ok) t.match(typo.errors, [/^cm\.yaml: unknown key TRAFFIC_GREEN_READ_PERCNT/])

  const bad = parseTrafficFile(
    '{"TRAFFIC_STAGE":"half","TRAFFIC_GREEN_READ_PERCENT":"150","TRAFFIC_SHADOW_READ_PERCENT":2.5,"TRAFFIC_DUAL_WRITE":"maybe","TRAFFIC_ROUTING_KEY":"user"}',
    'cm.json',
  )
  t.equal(bad.ok, false)
  if (!bad.ok) {
    t.equal(bad.errors.length, 5, 'every bad value reported')
    for (const key of ['TRAFFIC_STAGE', 'TRAFFIC_GREEN_READ_PERCENT', 'TRAFFIC_SHADOW_READ_PERCENT', 'TRAFFIC_DUAL_WRITE', 'TRAFFIC_ROUTING_KEY']) {
      t.ok(bad.errors.some((e) => e.startsWith(`cm.json: ${key}: `)), `names ${key}`)
    }
  }

  const broken = parseTrafficFile('{"TRAFFIC_STAGE": ', 'cm.json')
  t.match(broken, { ok: false, errors: [/^cm\.json: not valid JSON/] })
  const brokenYaml = parseTrafficFile('TRAFFIC_STAGE: [live\n', 'cm.yaml')
  t.match(brokenYaml, { ok: false, errors: [/^cm\.yaml: not valid YAML/] })
  t.match(parseTrafficFile('- live\n', 'cm.yaml'), { ok: false, errors: [/must be a mapping/] })
})
