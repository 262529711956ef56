/** Shared plumbing of the server processes the runner starts: IPC, memory probe, bounds. */
import type { ServerCommand, ServerEvent } from '../load/protocol.js';

export const sendEvent = (e: ServerEvent): void => {
  process.send?.(e);
};

/** Memory after three full GCs (the process runs with --expose-gc), so garbage is not counted. */
export async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  return process.memoryUsage();
}

/**
 * Serves the runner's commands. `exit` closes the server and exits normally, which is what
 * lets `--cpu-prof` write its profile. The process never outlives its parent or 20 minutes.
 */
export function serveCommands(connections: () => number, close: () => Promise<void>): void {
  process.on('message', (cmd: ServerCommand) => {
    if (cmd.t === 'mem') {
      void settledMemory().then((m) =>
        sendEvent({ t: 'mem', rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, connections: connections() }),
      );
    } else if (cmd.t === 'exit') {
      const force = setTimeout(() => process.exit(0), 5_000);
      force.unref();
      void close().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => process.exit(3), 20 * 60_000).unref();
}

export function fail(err: unknown): never {
  sendEvent({ t: 'error', message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  process.exit(1);
}
