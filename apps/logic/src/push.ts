/**
 * Turning HTTP pushes into queue messages (spec §3.1, §3.3): one `goim.logic.PushMsg` per
 * comet for key/mid pushes, one ROOM message per room push, one BROADCAST per broadcast.
 * Every call resolves only after the queue accepted all its messages.
 */
import { randomUUID } from 'node:crypto';
import { PushMsg, PushMsg_Type } from '@goim/protocol/rpc';
import type { PushQueueProducer } from '@goim/queue';
import { SessionStoreError, SessionStoreErrorCode, type SessionStore } from '@goim/session-store';
import { LogicError, LogicErrorCode } from './errors.js';

/** What a push produced: the messages published. */
export interface PushResult {
  messages: number;
}

export class Pusher {
  constructor(
    private readonly sessions: SessionStore,
    private readonly producer: PushQueueProducer,
    private readonly newMsgID: () => string = randomUUID,
    private readonly onPublished: (type: PushMsg_Type, count: number) => void = () => undefined,
  ) {}

  /**
   * Pushes `msg` to connections by key. Keys without a live session are skipped (as goim).
   * No non-empty key is a BAD_REQUEST (goim sent an empty MGET to Redis and got an arity
   * error, §10.21).
   */
  async pushKeys(operation: number, keys: readonly string[], msg: Buffer): Promise<PushResult> {
    // Empty keys are skipped, as goim did; a request with no key at all is refused.
    const wanted = keys.filter((k) => k !== '');
    if (wanted.length === 0) throw new LogicError(LogicErrorCode.BAD_REQUEST, 'keys is empty');
    const servers = await this.backend('look up keys', () => this.sessions.serversByKeys(wanted));
    const byServer = new Map<string, Set<string>>();
    wanted.forEach((key, i) => {
      const server = servers[i];
      if (!server) return;
      let set = byServer.get(server);
      if (!set) byServer.set(server, (set = new Set()));
      set.add(key);
    });
    return this.publishPerServer(operation, byServer, msg);
  }

  /** Pushes `msg` to every connection of each mid. Empty `mids` succeeds with nothing sent (as goim). */
  async pushMids(operation: number, mids: readonly number[], msg: Buffer): Promise<PushResult> {
    // mid 0 (anonymous) and negative mids never have a mid_ hash: nothing to look up, as in goim.
    const wanted = mids.filter((m) => m > 0);
    if (wanted.length === 0) return { messages: 0 };
    const keys = await this.backend('look up mids', () => this.sessions.keysByMids(wanted));
    const byServer = new Map<string, Set<string>>();
    for (const [key, server] of keys) {
      if (!key || !server) continue;
      let set = byServer.get(server);
      if (!set) byServer.set(server, (set = new Set()));
      set.add(key);
    }
    return this.publishPerServer(operation, byServer, msg);
  }

  /** Pushes `msg` to room `type://room` (one ROOM message; the message key is the room). */
  async pushRoom(operation: number, type: string, room: string, msg: Buffer): Promise<PushResult> {
    await this.publish(this.message({ type: PushMsg_Type.ROOM, operation, room: `${type}://${room}`, msg }));
    return { messages: 1 };
  }

  /** Pushes `msg` to every connection that accepts `operation` (one BROADCAST message). */
  async pushAll(operation: number, speed: number, msg: Buffer): Promise<PushResult> {
    await this.publish(this.message({ type: PushMsg_Type.BROADCAST, operation, speed, msg }));
    return { messages: 1 };
  }

  private async publishPerServer(operation: number, byServer: Map<string, Set<string>>, msg: Buffer): Promise<PushResult> {
    const messages = [...byServer].map(([server, keys]) =>
      this.message({ type: PushMsg_Type.PUSH, operation, server, keys: [...keys], msg }),
    );
    await Promise.all(messages.map((m) => this.publish(m)));
    return { messages: messages.length };
  }

  private message(fields: Partial<PushMsg> & Pick<PushMsg, 'type' | 'operation' | 'msg'>): PushMsg {
    return PushMsg.fromPartial({ ...fields, msgID: this.newMsgID() });
  }

  private async publish(msg: PushMsg): Promise<void> {
    await this.backend('publish to the push queue', () => this.producer.publish(msg));
    this.onPublished(msg.type, 1);
  }

  private async backend<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SessionStoreError && err.code === SessionStoreErrorCode.INVALID_ARGUMENT) {
        throw new LogicError(LogicErrorCode.BAD_REQUEST, err.message, { cause: err });
      }
      throw new LogicError(LogicErrorCode.BACKEND, `${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
