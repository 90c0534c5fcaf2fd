/**
 * What `npm start` runs: the compiled build. It must carry its non-TypeScript assets (the Lua
 * script of the hot cache) and start from dist/ under plain node, without tsx.
 */
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { ROOT, startServe } from './helpers/serve-process.js'

t.test('npm run build produces a service that starts and answers under plain node', async (t) => {
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 })
  t.equal(build.status, 0, `build succeeds ${build.stderr}`)
  const { child, port } = await startServe(t, ['dist/src/cli/main.js'], { STORE_URL: 'memory://' })
  const created = await fetch(`http://127.0.0.1:${port}/v2/memories`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: 'from the build' }),
  })
  t.equal(created.status, 201)
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
})
