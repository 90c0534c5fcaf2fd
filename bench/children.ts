/**
 * Server child processes (so load generator and servers never share an event loop) and sampling of
 * their resident memory from /proc/<pid>/status (VmRSS), which is the child's own RSS only.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface ServerChild {
  name: string
  port: number
  pid: number
  /** Everything the child sent with its `ready` message besides type and port. */
  ready: Record<string, unknown>
  process: ChildProcess
  /** Send a message and wait for a reply of type `replyType` (bounded by `timeoutMs`). */
  request(message: object, replyType: string, timeoutMs?: number): Promise<Record<string, unknown>>
  stop(): Promise<void>
}

/**
 * Fork `bench/<script>` and wait (at most `timeoutMs`) for its `{ type: 'ready', port }`. TypeScript
 * scripts run under the tsx loader; `.mjs` scripts under plain node (the service child, which runs
 * the compiled build as production does).
 */
export async function startChild(name: string, script: string, env: NodeJS.ProcessEnv, extraNodeArgs: string[] = [], timeoutMs = 120_000): Promise<ServerChild> {
  const path = fileURLToPath(new URL(script, import.meta.url))
  const child = fork(path, [], {
    // --expose-gc only makes global.gc() callable (for the retained-memory reading after each run).
    execArgv: [...(script.endsWith('.ts') ? ['--import', 'tsx', '--expose-gc'] : ['--expose-gc']), ...extraNodeArgs],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let ready: Record<string, unknown> = {}
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${name} did not start within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'ready' && typeof m.port === 'number') {
        clearTimeout(timer)
        const { type: _type, port: _port, ...rest } = m
        ready = rest
        resolve(m.port)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited during start-up (code ${code})`))
    })
  })

  const request = (message: object, replyType: string, timeoutMs = 60_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>) => {
        if (m.type !== replyType) return
        clearTimeout(timer)
        child.off('message', onMessage)
        resolve(m)
      }
      const timer = setTimeout(() => {
        child.off('message', onMessage)
        reject(new Error(`${name}: no ${replyType} within ${timeoutMs} ms`))
      }, timeoutMs)
      child.on('message', onMessage)
      child.send(message)
    })

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.send({ type: 'stop' })
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }

  if (child.pid === undefined) throw new Error(`${name} has no pid`)
  return { name, port, pid: child.pid, ready, process: child, request, stop }
}

/** Resident set size of `pid` in bytes (VmRSS), or null when it cannot be read. */
export function readRss(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match?.[1] ? Number(match[1]) * 1024 : null
  } catch {
    return null
  }
}

/** CPU time (user + system) `pid` has used so far, in ms, from /proc/<pid>/stat; null when unreadable. */
export function readCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start at field 3; utime, stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    return Number.isFinite(ticks) ? ticks * 10 : null // USER_HZ is 100 on Linux
  } catch {
    return null
  }
}

/** Auxiliary server processes that work for every database (their titles name no database). */
const PG_AUXILIARY = /^postgres: (?:\S+: )?(walwriter|checkpointer|background writer|autovacuum launcher|logical replication launcher)/

/**
 * CPU ms used so far, per pid, by the Postgres processes that serve `database`: its backends
 * (process title `postgres: user database host(port) …`, autovacuum workers included) and the
 * shared auxiliary processes (WAL writer, checkpointer, background writer). Other databases'
 * backends (other people's tests, say) are left out.
 */
export function readPostgresCpu(database: string): Map<number, number> {
  const usage = new Map<number, number>()
  let entries: string[] = []
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e))
  } catch {
    return usage
  }
  // Titles may carry the cluster name first: `postgres: 15/main: postgres mcpmem_bench 127.0.0.1(5432) idle`.
  const ours = new RegExp(`^postgres: (?:\\S+: )?(\\S+ ${database} |autovacuum worker ${database}$)`)
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (!stat.includes('(postgres)')) continue
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
      if (!ours.test(title) && !PG_AUXILIARY.test(title)) continue
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      usage.set(Number(pid), (Number(fields[11]) + Number(fields[12])) * 10)
    } catch {
      // The process ended meanwhile.
    }
  }
  return usage
}

/** CPU ms used between two `readPostgresCpu` readings by processes alive at the second (never negative). */
export function postgresCpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0
  for (const [pid, ms] of after) total += Math.max(0, ms - (before.get(pid) ?? 0))
  return total
}

/**
 * CPU ms the whole machine spent so far (all cores; /proc/stat): `busy` in process context (user,
 * nice, system, steal) and `irq` in interrupt context (irq, softirq: loopback networking mostly).
 */
export function readMachineCpuMs(): { busy: number; irq: number } {
  try {
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
      .trim().split(/\s+/).slice(1).map(Number)
    return { busy: (user + nice + system + steal) * 10, irq: (irq + softirq) * 10 }
  } catch {
    return { busy: 0, irq: 0 }
  }
}

export interface ProcessUsage {
  /** VmRSS peak and mean over the samples, bytes. */
  peak: number
  mean: number
  samples: number
  /** CPU ms (user + system) the process used between start and stop. */
  cpuMs: number
  /** CPU ms used meanwhile by the Postgres processes serving the benchmark database. */
  dbCpuMs: number
  /** CPU ms used by this (load-generating) process meanwhile. */
  loadCpuMs: number
  /** CPU ms the whole machine was busy in process context meanwhile (the above and other processes). */
  machineBusyMs: number
  /** CPU ms in interrupt context meanwhile (softirq: loopback TCP processing). */
  machineIrqMs: number
}

export interface RssSampler {
  /** Stop sampling; returns memory and CPU use of the process over the sampled interval. */
  stop(): ProcessUsage
}

/**
 * Sample VmRSS of `pid` every `intervalMs` until stopped, and account its CPU time, the CPU time of
 * the Postgres processes serving `database`, of this process, and of the whole machine.
 */
export function sampleRss(pid: number, database: string, intervalMs = 200): RssSampler {
  const cpuStart = readCpuMs(pid) ?? 0
  const dbStart = readPostgresCpu(database)
  const loadStart = process.cpuUsage()
  const machineStart = readMachineCpuMs()
  const values: number[] = []
  const take = () => {
    const rss = readRss(pid)
    if (rss !== null) values.push(rss)
  }
  take()
  const timer = setInterval(take, intervalMs)
  return {
    stop() {
      clearInterval(timer)
      take()
      const peak = values.length ? Math.max(...values) : 0
      const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0
      const load = process.cpuUsage(loadStart)
      return {
        peak, mean, samples: values.length,
        cpuMs: (readCpuMs(pid) ?? cpuStart) - cpuStart,
        dbCpuMs: postgresCpuDelta(dbStart, readPostgresCpu(database)),
        loadCpuMs: (load.user + load.system) / 1000,
        machineBusyMs: readMachineCpuMs().busy - machineStart.busy,
        machineIrqMs: readMachineCpuMs().irq - machineStart.irq,
      }
    },
  }
}
