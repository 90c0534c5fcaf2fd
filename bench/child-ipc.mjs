/**
 * The IPC protocol every server child (bare-server.ts, service-server.mjs) speaks with run.ts:
 *   → { type: 'ready', port, ...extra }       once listening (`extra`: e.g. the service's start-up memory phases)
 *   ← { type: 'memory' }                      → { type: 'memory', usage: process.memoryUsage(), retained }
 *                                             (retained: memoryUsage() after a full GC, when --expose-gc)
 *   ← { type: 'profile-start' }               start the V8 sampling profiler (inspector, in-process)
 *                                             → { type: 'profile-started' }
 *   ← { type: 'profile-stop', path }          stop it, write a .cpuprofile → { type: 'profile-saved', path }
 *   ← { type: 'stop' }                        close (server, pool) and exit
 * A child also exits when the orchestrator goes away (IPC disconnect), so none outlives a run.
 *
 * Plain JavaScript (types in child-ipc.d.mts), so that the service child can run compiled code
 * under plain `node`, without the tsx loader, as production does.
 */
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'

/**
 * @param {number} port
 * @param {() => Promise<void>} close
 * @param {Record<string, unknown>} [extra]
 */
export function serveIpc(port, close, extra = {}) {
  /** @type {Session | null} */
  let session = null

  /** @param {{ type?: string, path?: string }} message */
  async function handle(message) {
    switch (message.type) {
      case 'memory': {
        const usage = process.memoryUsage()
        const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc
        gc?.()
        process.send?.({ type: 'memory', usage, retained: gc ? process.memoryUsage() : null })
        return
      }
      case 'profile-start':
        session = new Session()
        session.connect()
        await session.post('Profiler.enable')
        await session.post('Profiler.setSamplingInterval', { interval: 200 })
        await session.post('Profiler.start')
        process.send?.({ type: 'profile-started' })
        return
      case 'profile-stop': {
        if (!session || !message.path) return
        const { profile } = await session.post('Profiler.stop')
        session.disconnect()
        session = null
        await writeFile(message.path, JSON.stringify(profile))
        process.send?.({ type: 'profile-saved', path: message.path })
        return
      }
      case 'stop':
        await close().catch(() => undefined)
        process.exit(0)
    }
  }

  process.on('message', (message) => {
    handle(/** @type {{ type?: string, path?: string }} */ (message)).catch((err) => {
      console.error('bench child:', err)
      process.exit(1)
    })
  })
  process.on('disconnect', () => process.exit(0))
  process.send?.({ ...extra, type: 'ready', port })
}
