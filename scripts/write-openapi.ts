/** `npm run openapi`: regenerate openapi/v2.json from the route schemas. */
import { writeFile } from 'node:fs/promises'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/load-config.js'
import { v2OpenApiDocument } from '../src/http/openapi.js'

const app = await buildApp(loadConfig({ STORE_URL: 'memory://', LOG_LEVEL: 'silent' }), { logger: false })
const doc = await v2OpenApiDocument(app.server)
await writeFile(new URL('../openapi/v2.json', import.meta.url), JSON.stringify(doc, null, 2) + '\n')
await app.server.close()
console.log('wrote openapi/v2.json')
