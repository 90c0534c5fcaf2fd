/**
 * What `npm start` runs: the compiled build. It must carry its non-TypeScript assets (the Lua
 * script of the hot cache) and start from dist/ under plain node, without tsx.
 */
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('..', import.meta.url))

t.test('npm run build produces a service that starts and answers under plain node', async (t) => {
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8', timeout: 180_000 })
  t.equal(build.status, 0, `build succeeds ${build.stderr}`)
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'serve'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', STORE_URL: 'memory://', PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let logs = ''
  child.stderr.on('data', (d: Buffer) => (logs += d.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dist service did not start:\n${logs}`)), 30_000)
    child.stdout.on('data', (d: Buffer) => {
      logs += d.toString()
      const match = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(logs)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}:\n${logs}`)))
  })
  const created = await fetch(`http://127.0.0.1:${port}/v2/memories`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: 'from the build' }),
  })
  t.equal(created.status, 201)
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
})
