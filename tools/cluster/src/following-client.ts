/**
 * A test client that behaves like a well-written goim app: before every (re)connect it asks a
 * logic for `nodes/weighted` and connects to a listed comet (skipping the one that just told
 * it to go away), over WebSocket or TCP, and records what it receives.
 */
import WebSocket from 'ws';
import { GoimClient, webSocketTransport, type AuthToken, type ClientMessage, type DisconnectNotice, type WebSocketConstructor } from '@goim/protocol';
import { tcpTransport } from '@goim/protocol/node';

export interface FollowingClientOptions {
  /** Logic HTTP base URLs (`http://127.0.0.1:port`), asked in turn for `nodes/weighted`. */
  logicUrls: readonly string[];
  transport: 'ws' | 'tcp';
  token: Partial<AuthToken>;
  /** Reconnect base delay, ms (default 200). */
  reconnectDelayMs?: number;
  /** Heartbeat period, ms (default 10 000). */
  heartbeatIntervalMs?: number;
  /** Reconnect after a close (default true). */
  reconnect?: boolean;
  /** Comet IP for the first connection (tests place clients on a given comet); later connects follow the list. */
  initialIp?: string;
}

interface NodesData {
  tcp_port?: number;
  ws_port?: number;
  nodes?: string[];
}

/** A GoimClient whose URL comes from logic's nodes/weighted, with everything it got recorded. */
export class FollowingClient {
  readonly client: GoimClient;
  /** Pushes received (after op-9 unpacking), in order. */
  readonly messages: ClientMessage[] = [];
  readonly disconnects: DisconnectNotice[] = [];
  /** Comet IPs this client authenticated on, in order. */
  readonly servers: string[] = [];
  /** The comet IP of the current connection attempt. */
  current: string | undefined;
  private avoid: string | undefined;
  private asked = 0;
  private failures = 0;

  constructor(private readonly options: FollowingClientOptions) {
    const transport = options.transport === 'tcp' ? tcpTransport() : webSocketTransport(WebSocket as unknown as WebSocketConstructor);
    this.client = new GoimClient({
      url: () => this.nextUrl(),
      token: options.token,
      transport,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 10_000,
      reconnect: options.reconnect === false ? false : { baseDelayMs: options.reconnectDelayMs ?? 200, maxDelayMs: 1_000, jitter: 0.1 },
    });
    this.client.on('message', (m) => this.messages.push(m));
    this.client.on('auth', () => {
      this.failures = 0;
      this.servers.push(this.current ?? '?');
    });
    this.client.on('disconnect', (n) => {
      this.disconnects.push(n);
      this.avoid = this.current;
    });
    this.client.on('close', () => {
      this.failures++;
    });
    this.client.on('error', () => undefined);
  }

  /** Texts of the received pushes with operation `op` (any op when omitted). */
  texts(op?: number): string[] {
    return this.messages.filter((m) => op === undefined || m.op === op).map((m) => Buffer.from(m.body).toString('utf8'));
  }

  /** Connects and resolves once authenticated (rejects after `timeoutMs`). */
  async connect(timeoutMs = 15_000): Promise<void> {
    const authed = this.servers.length;
    this.client.connect();
    await this.waitAuthenticated(authed + 1, timeoutMs);
  }

  /** Resolves once the client has authenticated `count` times in total. */
  async waitAuthenticated(count: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.servers.length < count || this.client.state !== 'open') {
      if (Date.now() > deadline) {
        throw new Error(`client ${JSON.stringify(this.options.token)} not authenticated #${count} within ${timeoutMs} ms (state ${this.client.state}, servers ${this.servers.join(',')})`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.client.close();
  }

  private async nextUrl(): Promise<string> {
    const urls = this.options.logicUrls;
    let lastErr: unknown;
    for (let i = 0; i < urls.length; i++) {
      const base = urls[(this.asked++ + i) % urls.length]!;
      try {
        const res = await fetch(`${base}/goim/nodes/weighted?platform=`);
        const json = (await res.json()) as { code: number; data?: NodesData };
        const data = json.data ?? {};
        const nodes = data.nodes ?? [];
        if (json.code !== 0 || nodes.length === 0) throw new Error(`nodes/weighted from ${base}: ${JSON.stringify(json)}`);
        // Skip the comet that sent op 6; after repeated failures rotate through the list.
        const candidates = nodes.filter((n) => n !== this.avoid);
        const pool = candidates.length > 0 ? candidates : nodes;
        let ip = pool[this.failures % pool.length]!;
        if (this.servers.length === 0 && this.failures === 0 && this.options.initialIp) ip = this.options.initialIp;
        this.current = ip;
        return this.options.transport === 'tcp' ? `tcp://${ip}:${data.tcp_port}` : `ws://${ip}:${data.ws_port}/sub`;
      } catch (err) {
        lastErr = err;
      }
    }
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
  }
}
