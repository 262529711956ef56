/**
 * createJob: consume PushMsg from the queue, route, batch rooms, deliver to comets.
 *
 * Delivery guarantee (goim was at-most-once, spec §10.23): a queue message is acknowledged
 * (its handler resolves) only when every comet it targets accepted it; a comet that keeps
 * failing after the retry budget makes the handler reject, so the queue redelivers the
 * message later. Comets drop the resulting duplicates by `msgID`. Messages given up on purpose
 * (a PUSH to a comet that never appears, a request a comet refuses for good) are counted in
 * `goim_job_undeliverable_total` with a reason and logged at warn, never silently.
 */
import { encodeRawBatch } from '@goim/protocol';
import type { Counter } from 'prom-client';
import type { BroadcastReq, BroadcastRoomReq, CometService, Proto, PushMsg, PushMsgReq } from '@goim/protocol/rpc';
import type { PushDelivery, PushHandler, PushQueueConsumer } from '@goim/queue';
import type { CometDirectory, CometEntry } from './comet-directory.js';
import { queueMaxInFlight, roomIdleMs, roomMaxPending, type JobConfig } from './config.js';
import { CometGoneError, CometLanes, isPermanent, withRetry } from './delivery.js';
import { JobError, JobErrorCode } from './errors.js';
import { createJobMetrics, type JobMetrics, type MessageType } from './metrics.js';
import { RoomBatcher, toBuffer, type RoomBatch } from './room-batcher.js';
import { realTimers, silentLogger, type JobLogger, type Timers } from './timers.js';

/** What a job needs from outside. */
export interface JobDeps {
  /** Where PushMsgs come from (Kafka, Redis Streams, memory). */
  consumer: PushQueueConsumer;
  /** Where comets are (static list now, discovery later). Not closed by the job. */
  comets: CometDirectory;
  logger?: JobLogger;
  /** Clock and timers (default: the process's). */
  timers?: Timers;
  /** Random source for retry jitter, in [0, 1). */
  random?: () => number;
  /** Consumer lag for `/metrics`; default: the consumer's own `lag()` if it has one. */
  lag?: () => number | undefined | Promise<number | undefined>;
}

/** A running job. */
export interface Job {
  /** Subscribes the consumer; resolves once consuming. */
  start(): Promise<void>;
  /** Stops consuming, flushes room batches, waits for in-flight deliveries; safe twice. */
  close(): Promise<void>;
  metrics: JobMetrics;
  /** The handler given to the consumer (exposed for in-process wiring and tests). */
  handler: PushHandler;
  /** True between a successful `start()` and `close()`. */
  isReady(): boolean;
}

type Outcome = 'delivered' | 'undeliverable' | 'skipped';

const PUSH = 0;
const ROOM = 1;
const BROADCAST = 2;
/** Undeliverable warnings of one kind are logged at most once per this period. */
const WARN_EVERY_MS = 10_000;

function typeName(t: number): MessageType {
  return t === PUSH ? 'push' : t === ROOM ? 'room' : t === BROADCAST ? 'broadcast' : 'unknown';
}

/** The op-9 Proto carrying one or more pre-serialised frames (spec §1.5). */
function rawProto(body: Buffer): Proto {
  return { ver: 1, op: 9, seq: 0, body };
}

/**
 * The per-comet speed of a broadcast. goim divides by the number of comets with integer
 * division, which panics with no comet and turns `speed < comets` into 0 = unthrottled
 * (spec §10.26); we keep at least 1 when a speed was asked for.
 */
export function splitSpeed(speed: number, comets: number): number {
  if (comets <= 0 || speed <= 0) return 0;
  return Math.max(1, Math.floor(speed / comets));
}

/** Builds a job; nothing runs until `start()`. */
export function createJob(config: JobConfig, deps: JobDeps): Job {
  const timers = deps.timers ?? realTimers;
  const log = deps.logger ?? silentLogger;
  const dir = deps.comets;
  const zone = config.env.zone;
  const zoneOnly = config.job.zoneOnly;
  const lanes = new CometLanes(config.comet.routineSize);
  let closing = false;
  let started = false;
  let ready = false;
  const aborts = new Set<(err: JobError) => void>();
  let unwatch: (() => void) | undefined;
  const lastWarn = new Map<string, { at: number; suppressed: number }>();

  const consumerLag = (deps.consumer as { lag?: () => number | undefined | Promise<number | undefined> }).lag;
  const batcher: RoomBatcher = new RoomBatcher(deliverRoom, {
    batch: config.room.batch,
    signalMs: config.room.signal,
    idleMs: roomIdleMs(config),
    maxPending: roomMaxPending(config),
    flushWhenIdle: config.room.flushWhenIdle,
    timers,
    onBatch: (n) => metrics.batchSize.observe(n),
  });
  // prom-client hashes the label object on every inc({…}): the two per-message counters are
  // bound to each type once, on first use (no series appears before its first message).
  const consumedByType = new Map<MessageType, Counter.Internal>();
  const deliveredByType = new Map<MessageType, Counter.Internal>();
  const countType = (counter: Counter<'type'>, bound: Map<MessageType, Counter.Internal>, type: MessageType): void => {
    let c = bound.get(type);
    if (c === undefined) bound.set(type, (c = counter.labels(type)));
    c.inc();
  };
  const metrics = createJobMetrics({
    rooms: () => batcher.roomCount,
    pendingRoomMessages: () => batcher.pending,
    comets: () => targets().length,
    lag: deps.lag ?? (consumerLag ? () => consumerLag.call(deps.consumer) : undefined),
  });

  /** Logs a warning at most once per WARN_EVERY_MS per `key`, with how many were suppressed. */
  function warnLimited(key: string, fields: Record<string, unknown>, msg: string): void {
    const now = timers.now();
    const w = lastWarn.get(key);
    if (w && now - w.at < WARN_EVERY_MS) {
      w.suppressed++;
      return;
    }
    // Keys include server names from messages: bound the map against garbage input.
    if (lastWarn.size >= 1024) lastWarn.clear();
    lastWarn.set(key, { at: now, suppressed: 0 });
    log.warn({ ...fields, suppressed: w?.suppressed ?? 0 }, msg);
  }

  function targets(): CometEntry[] {
    const all = dir.list();
    return zoneOnly ? all.filter((c) => c.zone === zone) : all;
  }

  /** One RPC to `hostname` with retries; the service is looked up per attempt (the comet may move or leave). */
  function call<T>(hostname: string, method: string, fn: (s: CometService) => Promise<T>): Promise<T> {
    return withRetry(
      () => {
        const e = dir.get(hostname);
        if (!e) return Promise.reject(new CometGoneError(hostname));
        return fn(e.service);
      },
      {
        retries: config.comet.retries,
        baseMs: config.comet.retryBase,
        maxMs: config.comet.retryMax,
        timers,
        random: deps.random,
        aborted: () => closing,
        onRetry: () => metrics.retried.inc({ method }),
      },
    );
  }

  /** The comet named `hostname`, waiting up to `ms` for the directory to learn it. */
  function waitForComet(hostname: string, ms: number): Promise<CometEntry | undefined> {
    const now = dir.get(hostname);
    if (now || ms <= 0) return Promise.resolve(now);
    return new Promise<CometEntry | undefined>((resolve, reject) => {
      let done = false;
      const finish = (v: CometEntry | undefined, err?: JobError) => {
        if (done) return;
        done = true;
        unsubscribe();
        timers.clearTimeout(timer);
        aborts.delete(abort);
        if (err) reject(err);
        else resolve(v);
      };
      const abort = (err: JobError) => finish(undefined, err);
      const unsubscribe = dir.onChange(() => {
        const e = dir.get(hostname);
        if (e) finish(e);
      });
      const timer = timers.setTimeout(() => finish(dir.get(hostname)), ms);
      aborts.add(abort);
    });
  }

  async function handlePush(d: PushDelivery, msg: PushMsg, id: string): Promise<Outcome> {
    const req: PushMsgReq = {
      keys: msg.keys,
      protoOp: msg.operation,
      proto: rawProto(toBuffer(encodeRawBatch([{ op: msg.operation, body: msg.msg }]))),
      msgID: id,
    };
    const since = timers.now();
    for (;;) {
      const left = config.job.unknownServerDeadline - (timers.now() - since);
      // A known comet is used synchronously, so pipelined handler calls enter their lane in call order.
      const entry = dir.get(msg.server) ?? (await waitForComet(msg.server, left));
      if (!entry) {
        metrics.undeliverable.inc({ type: 'push', reason: 'unknown-server' });
        warnLimited(`unknown:${msg.server}`, { server: msg.server, waitedMs: config.job.unknownServerDeadline }, 'push to unknown comet is undeliverable');
        return 'undeliverable';
      }
      if (zoneOnly && entry.zone !== zone) {
        // goim's per-zone mode: the job of that zone (own consumer group) delivers it.
        metrics.skipped.inc({ type: 'push', reason: 'other-zone' });
        return 'skipped';
      }
      try {
        await lanes.run(msg.server, `k:${d.key}`, () => call(msg.server, 'PushMsg', (s) => s.pushMsg(req)));
        return 'delivered';
      } catch (err) {
        if (err instanceof CometGoneError) continue;
        if (isPermanent(err)) {
          metrics.undeliverable.inc({ type: 'push', reason: 'refused' });
          warnLimited(`refused:${msg.server}`, { server: msg.server, err }, 'comet refused a push; undeliverable');
          return 'undeliverable';
        }
        throw err;
      }
    }
  }

  /** Sends to every target comet in the lane; comets that left are skipped; rejects if any comet failed. */
  async function fanOut(
    type: MessageType,
    lane: string,
    method: string,
    send: (s: CometService, count: number) => Promise<unknown>,
  ): Promise<Outcome> {
    const list = targets();
    if (list.length === 0) {
      metrics.skipped.inc({ type, reason: 'no-comets' });
      return 'skipped';
    }
    const results = await Promise.allSettled(
      list.map((c) =>
        lanes.run(c.hostname, lane, () => call(c.hostname, method, (s) => send(s, list.length))).catch((err: unknown) => {
          if (err instanceof CometGoneError) return; // ROOM/BROADCAST: a comet that left has no members to reach
          if (isPermanent(err)) {
            metrics.undeliverable.inc({ type, reason: 'refused' });
            warnLimited(`refused:${c.hostname}`, { server: c.hostname, err }, `comet refused a ${type} push; undeliverable there`);
            return;
          }
          throw err;
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return 'delivered';
  }

  function deliverRoom(batch: RoomBatch): Promise<void> {
    const req: BroadcastRoomReq = { roomID: batch.room, proto: rawProto(batch.body), msgID: batch.batchId, msgIDs: batch.ids.length > 1 ? batch.ids : [] };
    return fanOut('room', `r:${batch.room}`, 'BroadcastRoom', (s) => s.broadcastRoom(req)).then(() => undefined);
  }

  async function handleBroadcast(d: PushDelivery, msg: PushMsg, id: string): Promise<Outcome> {
    const proto = rawProto(toBuffer(encodeRawBatch([{ op: msg.operation, body: msg.msg }])));
    return fanOut('broadcast', `b:${d.key}`, 'Broadcast', (s, n) => {
      const req: BroadcastReq = { protoOp: msg.operation, proto, speed: splitSpeed(msg.speed, n), msgID: id };
      return s.broadcast(req);
    });
  }

  const handler: PushHandler = async (d) => {
    const msg = d.msg;
    const type = typeName(msg.type);
    countType(metrics.consumed, consumedByType, type);
    if (closing) {
      metrics.redelivery.inc({ type });
      throw new JobError(JobErrorCode.CLOSED, 'job is closing');
    }
    // A Go logic sets no msgID: the queue entry id is stable across redeliveries, so it dedupes too.
    const id = msg.msgID || d.id;
    try {
      let outcome: Outcome;
      if (msg.type === PUSH) outcome = await handlePush(d, msg, id);
      else if (msg.type === ROOM) {
        await batcher.push(msg.room, { op: msg.operation, body: msg.msg }, id);
        outcome = targets().length > 0 ? 'delivered' : 'skipped';
      } else if (msg.type === BROADCAST) outcome = await handleBroadcast(d, msg, id);
      else {
        metrics.undeliverable.inc({ type, reason: 'bad-type' });
        warnLimited('bad-type', { msgType: msg.type, id: d.id }, 'queue message of unknown type; undeliverable');
        outcome = 'undeliverable';
      }
      if (outcome === 'delivered') countType(metrics.delivered, deliveredByType, type);
    } catch (err) {
      metrics.redelivery.inc({ type });
      if (!(err instanceof JobError && err.code === JobErrorCode.CLOSED)) {
        warnLimited(`failed:${type}`, { err, type }, 'comet delivery failed; message left for redelivery');
      }
      throw err;
    }
  };

  return {
    metrics,
    handler,
    isReady: () => ready,
    async start() {
      if (started || closing) throw new JobError(JobErrorCode.BAD_STATE, 'job already started or closed');
      started = true;
      unwatch = dir.onChange(() => log.info({ comets: targets().map((c) => c.hostname) }, 'comet set changed'));
      // Pipelined: the room batcher sees up to a batch of a room's messages at once (spec §4.3
      // batching); handler calls stay in order per key and start their sends synchronously.
      await deps.consumer.start(handler, { maxInFlightPerKey: queueMaxInFlight(config) });
      ready = !closing;
      log.info({ comets: targets().length, zone, zoneOnly }, 'job consuming');
    },
    async close() {
      if (closing) return;
      closing = true;
      ready = false;
      unwatch?.();
      batcher.startClosing();
      for (const abort of [...aborts]) abort(new JobError(JobErrorCode.CLOSED, 'job is closing'));
      await deps.consumer.close();
      batcher.close();
      log.info({}, 'job closed');
    },
  };
}
