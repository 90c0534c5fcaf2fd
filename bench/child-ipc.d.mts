/** Types of child-ipc.mjs (the IPC protocol of the server children; see there). */
export declare function serveIpc(port: number, close: () => Promise<void>, extra?: Record<string, unknown>): void
