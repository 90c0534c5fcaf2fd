/**
 * The same graph scenario through `POST /v1/tools/:toolName` and through `/mcp` with the SDK's real
 * client gives identical results (the MCP tests compare `/mcp` with `mcp-memory stdio`, so all
 * three agree): structured results equal, and an error's problem detail equals the MCP error text.
 */
import t from 'tap'
import { as, call } from '../helpers/http.js'
import { buildTestApp } from '../../helpers/build-app.js'
import { GRAPH_EXPECTED, GRAPH_STEPS, httpClient, serveMcp } from '../../mcp/scenario.js'

t.test('/v1/tools answers every scenario step as /mcp does', async (t) => {
  const app = await buildTestApp(t)
  const client = await httpClient(t, await serveMcp(t, app), { 'x-memory-tool': 'via-mcp' })
  for (const [step, name, args] of GRAPH_STEPS) {
    const rest = await call(app.server, 'POST', `/v1/tools/${name}`, { headers: as('via-v1'), body: args })
    const mcp = await client.callTool({ name, arguments: args })
    const expected = GRAPH_EXPECTED[step]
    if (typeof expected === 'string') {
      t.equal(rest.json.detail, expected, `${step}: /v1 problem detail`)
      t.ok(mcp.isError, `${step}: /mcp isError`)
      t.equal((mcp.content as Array<{ text: string }>)[0]?.text, rest.json.detail, `${step}: same message`)
    } else {
      t.equal(rest.status, 200, `${step}: /v1 status`)
      t.strictSame(rest.json.result, mcp.structuredContent, `${step}: /v1 result equals /mcp structuredContent`)
      t.strictSame(rest.json.result, expected, `${step}: and the expected result`)
    }
  }
})
