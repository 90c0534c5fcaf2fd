/**
 * `mcp-memory serve` as a child process on a free port (PORT=0): resolves once the listen line
 * appears, kills the process at teardown if the test did not stop it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface ServeProcess {
  child: ChildProcess
  port: number
  /** Everything the process printed so far. */
  logs(): string
}

/** `nodeArgs` e.g. `['--import', 'tsx', 'src/cli/main.ts']` or `['dist/src/cli/main.js']`. */
export async function startServe(t: Teardown, nodeArgs: string[], env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...nodeArgs, 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let logs = ''
  child.stderr?.on('data', (d: Buffer) => (logs += d.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listen line in time:\n${logs}`)), 30_000)
    child.stdout?.on('data', (d: Buffer) => {
      logs += d.toString()
      const match = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(logs)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before listening:\n${logs}`))
    })
  })
  return { child, port, logs: () => logs }
}
