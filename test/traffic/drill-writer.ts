/**
 * The drill's client: lanes that keep creating, patching, deleting and reading entries through
 * the HTTP API, remembering every acknowledged write (the state each id must have) and every
 * response that was not what a healthy service answers. Every 40th request is deliberately
 * invalid (malformed JSON) and must get a 400. `pause()` waits for the requests in flight.
 */
import { randomBytes } from 'node:crypto'
import type { Server } from '../http/helpers/http.js'
import { as, call } from '../http/helpers/http.js'

export interface AckedState {
  tool: string
  id: string
  deleted: boolean
  version: number
  contentHash: string | null
}

export class DrillWriter {
  /** Acknowledged state per `tool/id`. */
  readonly acked = new Map<string, AckedState>()
  /** Responses a healthy service would not give (the drill asserts there are none). */
  readonly failures: string[] = []
  /** Reads that returned something other than the last acknowledged state. */
  readonly staleReads: string[] = []
  ops = 0
  invalidRejected = 0
  private running = false
  private paused = false
  private lanes: Promise<void>[] = []
  private inFlight = 0
  private resumeWaiters: Array<() => void> = []

  constructor(private readonly server: Server, private readonly tools: string[], private readonly laneCount = 2) {}

  start(): void {
    this.running = true
    for (let lane = 0; lane < this.laneCount; lane++) this.lanes.push(this.lane(lane))
  }

  async stop(): Promise<void> {
    this.running = false
    this.resume()
    await Promise.all(this.lanes)
  }

  /** Stop issuing requests and wait until none is in flight. */
  async pause(): Promise<void> {
    this.paused = true
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 2))
  }

  resume(): void {
    this.paused = false
    for (const wake of this.resumeWaiters.splice(0)) wake()
  }

  /** Resolves once `n` more operations have completed. */
  async runFor(n: number): Promise<void> {
    const target = this.ops + n
    while (this.ops < target) await new Promise((r) => setTimeout(r, 5))
  }

  private async lane(lane: number): Promise<void> {
    const mine: string[] = [] // live ids this lane created: only this lane writes them
    let step = 0
    while (this.running) {
      if (this.paused) await new Promise<void>((r) => this.resumeWaiters.push(r))
      if (!this.running) break
      this.inFlight++
      try {
        step++
        const tool = this.tools[(step * 7 + lane) % this.tools.length]!
        if (step % 40 === 0) await this.invalid(tool)
        else if (mine.length < 5 || step % 10 < 5) await this.create(tool, mine)
        else if (step % 10 < 8) await this.patch(mine)
        else if (step % 10 < 9) await this.remove(mine)
        else await this.read(mine)
        this.ops++
      } finally {
        this.inFlight--
      }
    }
  }

  private record(key: string, state: AckedState): void {
    this.acked.set(key, state)
  }

  private async create(tool: string, mine: string[]): Promise<void> {
    const content = `drill ${tool} ${randomBytes(8).toString('hex')}`
    const res = await call(this.server, 'POST', '/v2/memories', { headers: as(tool), body: { type: 'fact', content, tags: ['drill'] } })
    if (res.status !== 201) return void this.failures.push(`create ${res.status} ${res.body.slice(0, 200)}`)
    this.record(`${tool}/${res.json.id}`, { tool, id: res.json.id, deleted: false, version: res.json.version, contentHash: res.json.contentHash })
    mine.push(`${tool}/${res.json.id}`)
  }

  private async patch(mine: string[]): Promise<void> {
    const key = mine[Math.floor(Math.random() * mine.length)]!
    const { tool, id } = this.acked.get(key)!
    const res = await call(this.server, 'PATCH', `/v2/memories/${id}`, {
      headers: as(tool), body: { content: `patched ${randomBytes(8).toString('hex')}` }, contentType: 'application/merge-patch+json',
    })
    if (res.status !== 200) return void this.failures.push(`patch ${res.status} ${res.body.slice(0, 200)}`)
    this.record(key, { tool, id, deleted: false, version: res.json.version, contentHash: res.json.contentHash })
  }

  private async remove(mine: string[]): Promise<void> {
    const key = mine.splice(Math.floor(Math.random() * mine.length), 1)[0]!
    const { tool, id } = this.acked.get(key)!
    const res = await call(this.server, 'DELETE', `/v2/memories/${id}`, { headers: as(tool) })
    if (res.status !== 204) return void this.failures.push(`delete ${res.status} ${res.body.slice(0, 200)}`)
    this.record(key, { tool, id, deleted: true, version: 0, contentHash: null })
  }

  private async read(mine: string[]): Promise<void> {
    const key = mine[Math.floor(Math.random() * mine.length)]!
    const want = this.acked.get(key)!
    const res = await call(this.server, 'GET', `/v2/memories/${want.id}`, { headers: as(want.tool) })
    if (res.status !== 200) return void this.failures.push(`read ${res.status} ${res.body.slice(0, 200)}`)
    if (res.json.version !== want.version || res.json.contentHash !== want.contentHash) {
      this.staleReads.push(`${key}: read v${res.json.version}, acknowledged v${want.version}`)
    }
  }

  private async invalid(tool: string): Promise<void> {
    const res = await call(this.server, 'POST', '/v2/memories', { headers: as(tool), body: '{"type": "fact", "content": ', contentType: 'application/json' })
    if (res.status === 400) this.invalidRejected++
    else this.failures.push(`malformed JSON answered ${res.status}`)
  }
}
