/**
 * A TCP proxy in front of a real service, to make a backend fail on demand the way a network
 * outage does: `cut()` destroys every open connection and refuses new ones (the client sees
 * connection errors), `restore()` forwards again. Closed at teardown.
 */
import net from 'node:net'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface TcpProxy {
  port: number
  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string
  cut(): void
  restore(): void
  readonly connections: number
}

export async function startTcpProxy(t: Teardown, target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  let cut = false
  const server = net.createServer((client) => {
    if (cut) {
      client.destroy()
      return
    }
    const upstream = net.connect(target.port, target.host)
    sockets.add(client)
    sockets.add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    port,
    urlFor(url) {
      const u = new URL(url)
      u.hostname = '127.0.0.1'
      u.port = String(port)
      return u.toString()
    },
    cut() {
      cut = true
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    restore() {
      cut = false
    },
    get connections() {
      return sockets.size / 2
    },
  }
}
