/**
 * Where upstream client messages go (gRPC Receive). goim only logged them, so "it's push,
 * not IM" (spec §9); here the message reaches a sink: the log, a webhook, or a queue topic.
 */
import { ReceiveReq } from '@goim/protocol/rpc';
import type { LogicConfig } from './config.js';
import { ConfigError, ConfigErrorCode, LogicError, LogicErrorCode } from './errors.js';
import type { Logger } from './logger.js';

/** Takes one upstream message; rejecting tells the comet the message was not taken. */
export interface ReceiveSink {
  receive(req: ReceiveReq): Promise<void>;
  close?(): Promise<void>;
}

/**
 * A keyed byte publisher for one topic of the queue engine (e.g. a kafkajs producer bound
 * to `receive.queue.topic`), supplied and closed by main.ts / the embedding app.
 */
export interface RawTopicPublisher {
  /** Resolves once the engine accepted the message. */
  publish(key: string, value: Uint8Array): Promise<void>;
}

/** Logs each message at debug level (goim's behaviour, minus info-level per-message logs). */
export class LogReceiveSink implements ReceiveSink {
  constructor(private readonly logger: Logger) {}
  async receive(req: ReceiveReq): Promise<void> {
    this.logger.debug({ mid: req.mid, op: req.proto?.op, bytes: req.proto?.body.length ?? 0 }, 'upstream message');
  }
}

/** The JSON a webhook sink POSTs: `{"mid","ver","op","seq","body"}` with `body` in base64. */
export function receiveJson(req: ReceiveReq): string {
  const p = req.proto;
  return JSON.stringify({ mid: req.mid, ver: p?.ver ?? 0, op: p?.op ?? 0, seq: p?.seq ?? 0, body: Buffer.from(p?.body ?? []).toString('base64') });
}

/** POSTs each message as {@link receiveJson}; a non-2xx answer or network failure rejects. */
export class WebhookReceiveSink implements ReceiveSink {
  constructor(private readonly options: { url: string; timeoutMs?: number; headers?: Record<string, string> }) {}
  async receive(req: ReceiveReq): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.options.headers },
        body: receiveJson(req),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 2_000),
      });
    } catch (err) {
      throw new LogicError(LogicErrorCode.RECEIVE_SINK, `receive webhook unreachable: ${(err as Error).message}`, { cause: err });
    }
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new LogicError(LogicErrorCode.RECEIVE_SINK, `receive webhook answered HTTP ${res.status}`);
  }
}

/** Publishes each message: value = protobuf `goim.logic.ReceiveReq`, key = decimal mid (order per user). */
export class QueueReceiveSink implements ReceiveSink {
  constructor(private readonly publisher: RawTopicPublisher) {}
  async receive(req: ReceiveReq): Promise<void> {
    try {
      await this.publisher.publish(String(req.mid), ReceiveReq.encode(req).finish());
    } catch (err) {
      throw new LogicError(LogicErrorCode.RECEIVE_SINK, `receive queue publish failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** The sink `receive.sink` names. `queue` needs a publisher from the caller. */
export function createReceiveSink(
  cfg: LogicConfig['receive'],
  deps: { logger: Logger; publisher?: RawTopicPublisher },
): ReceiveSink {
  switch (cfg.sink) {
    case 'log':
      return new LogReceiveSink(deps.logger);
    case 'webhook':
      return new WebhookReceiveSink({ url: cfg.webhook.url, timeoutMs: cfg.webhook.timeout, headers: cfg.webhook.headers });
    case 'queue':
      if (!deps.publisher) {
        throw new ConfigError(ConfigErrorCode.INVALID, 'receive.sink "queue" needs a queue engine (kafka.brokers) to publish to');
      }
      return new QueueReceiveSink(deps.publisher);
  }
}
