/** IPC messages between the runner and its child processes (servers and load clients). */

export type ClientProto = 'ws' | 'tcp' | 'sio';

/** Runner → load client. */
export type ClientCommand =
  | {
      t: 'connect';
      proto: ClientProto;
      host: string;
      port: number;
      /** Index of the first connection (mid = index + 1, key = `k<index>`). */
      first: number;
      count: number;
      /** Connection i joins room `<roomPrefix><i % rooms>`. */
      rooms: number;
      roomPrefix: string;
      concurrency: number;
      /** Record publish-to-receive latency of every message carrying `{"t":…}`. */
      latency: boolean;
      /** Spread connections over 127.0.0.2 … 127.0.0.<1+sourceAddrs> (port exhaustion). */
      sourceAddrs: number;
    }
  | { t: 'reset' }
  | { t: 'stats' }
  | { t: 'storm' }
  | { t: 'close' };

/** Load client → runner. */
export type ClientEvent =
  | { t: 'connected'; opened: number; failed: number; ms: number; firstError?: string }
  | { t: 'stats'; open: number; messages: number; frames: number; latencies: number[]; errors: number }
  | { t: 'storm'; dropMs: number; backMs: number; opened: number; failed: number }
  | { t: 'closed' }
  | { t: 'error'; message: string };

/** Runner → server. */
export type ServerCommand = { t: 'mem' } | { t: 'exit' };

/** Server → runner. */
export type ServerEvent =
  | { t: 'ready'; ws: number; tcp: number; http: number; name: string }
  | { t: 'mem'; rss: number; heapUsed: number; external: number; arrayBuffers: number; connections: number }
  | { t: 'error'; message: string };
