/**
 * The IPC protocol every server child (bare-server.ts, service-server.ts) speaks with run.ts:
 *   → { type: 'ready', port }                 once listening
 *   ← { type: 'memory' }                      → { type: 'memory', usage: process.memoryUsage(), retained }
 *                                             (retained: memoryUsage() after a full GC, when --expose-gc)
 *   ← { type: 'profile-start' }               start the V8 sampling profiler (inspector, in-process)
 *                                             → { type: 'profile-started' }
 *   ← { type: 'profile-stop', path }          stop it, write a .cpuprofile → { type: 'profile-saved', path }
 *   ← { type: 'stop' }                        close (server, pool) and exit
 * A child also exits when the orchestrator goes away (IPC disconnect), so none outlives a run.
 */
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'

interface Message {
  type?: string
  path?: string
}

export function serveIpc(port: number, close: () => Promise<void>): void {
  let session: Session | null = null

  async function handle(message: Message): Promise<void> {
    switch (message.type) {
      case 'memory': {
        const usage = process.memoryUsage()
        const gc = (globalThis as { gc?: () => void }).gc
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

  process.on('message', (message: Message) => {
    handle(message).catch((err: unknown) => {
      console.error('bench child:', err)
      process.exit(1)
    })
  })
  process.on('disconnect', () => process.exit(0))
  process.send?.({ type: 'ready', port })
}
