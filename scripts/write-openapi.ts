/** `npm run openapi`: regenerate openapi/v2.json and openapi/v1.json from the route schemas. */
import { writeFile } from 'node:fs/promises'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/load-config.js'
import { v1OpenApiDocument, v2OpenApiDocument } from '../src/http/openapi.js'

const app = await buildApp(loadConfig({ STORE_URL: 'memory://', LOG_LEVEL: 'silent' }), { logger: false })
for (const [version, build] of [['v2', v2OpenApiDocument], ['v1', v1OpenApiDocument]] as const) {
  const doc = await build(app.server)
  await writeFile(new URL(`../openapi/${version}.json`, import.meta.url), JSON.stringify(doc, null, 2) + '\n')
  console.log(`wrote openapi/${version}.json`)
}
await app.server.close()
