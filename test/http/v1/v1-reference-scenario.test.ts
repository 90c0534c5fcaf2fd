/**
 * The /v1 contract, frozen: `test/fixtures/v1/reference-scenario.json` is a request/response script
 * written from the reference server's semantics (2026.8.31) — create-skip, direction, dedupe within
 * a call, dangling relations, add_observations' atomic failure, storage order, search rules, the
 * delete cascade — replayed against a fresh app. A drift in any answer fails here. Problem
 * responses are compared on the fields the fixture lists.
 */
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { as, call } from '../helpers/http.js'
import { buildTestApp } from '../../helpers/build-app.js'

interface Step {
  name: string
  request: { method: string; url: string; body?: unknown }
  response: { status: number; body: Record<string, unknown> }
}

const steps = JSON.parse(await readFile(new URL('../../fixtures/v1/reference-scenario.json', import.meta.url), 'utf8')) as Step[]

for (const store of ['memory://', 'pglite://memory']) {
  t.test(`the reference scenario on ${store}`, async (t) => {
    const app = await buildTestApp(t, { STORE_URL: store })
    for (const step of steps) {
      const res = await call(app.server, step.request.method, step.request.url, { headers: as('v1-scenario'), body: step.request.body })
      t.equal(res.status, step.response.status, `${step.name}: status`)
      if (res.status >= 400) {
        t.match(res.headers['content-type'], /^application\/problem\+json/, `${step.name}: problem+json`)
        t.match(res.json, step.response.body, `${step.name}: problem`)
      } else {
        t.strictSame(res.json, step.response.body, step.name)
      }
    }
  })
}
