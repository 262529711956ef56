/**
 * The goim-ts server under test: `createStandalone` (comet + logic + job in one process) on
 * loopback port 0, silent (no logger), with the push queue chosen by BENCH_QUEUE:
 * `memory` (default), `redis` (RedisStreamsPushQueue on BENCH_REDIS_URL) or `kafka`
 * (KafkaPushQueue on BENCH_KAFKA_BROKERS); BENCH_SERVER_CONFIG (JSON) adds role settings.
 * Reports its ports over IPC.
 */
import { createStandalone, resolveStandaloneConfig } from '@goim/standalone-app';
import { KafkaPushQueue, RedisStreamsPushQueue, type PushQueue } from '@goim/queue';
import { fail, sendEvent, serveCommands } from './common.js';

async function main(): Promise<void> {
  const kind = process.env.BENCH_QUEUE ?? 'memory';
  let queue: PushQueue | undefined;
  // A fresh stream/topic per run: a previous run's backlog must not be replayed.
  const topic = `bench-${process.pid}-${Date.now()}`;
  if (kind === 'redis') {
    queue = new RedisStreamsPushQueue({ redis: process.env.BENCH_REDIS_URL!, stream: topic });
  } else if (kind === 'kafka') {
    queue = new KafkaPushQueue({ brokers: process.env.BENCH_KAFKA_BROKERS!.split(','), topic, partitions: 4 });
  } else if (kind !== 'memory') {
    throw new TypeError(`BENCH_QUEUE must be memory, redis or kafka, not ${kind}`);
  }
  // Extra role settings from the runner's --server-config (JSON: {"comet":{…},"logic":{…},"job":{…}}).
  const extra = JSON.parse(process.env.BENCH_SERVER_CONFIG || '{}') as { comet?: object; logic?: object; job?: object };
  const config = resolveStandaloneConfig({
    bind: '127.0.0.1',
    ports: { tcp: 0, ws: 0, http: 0, cometGrpc: 0, logicGrpc: 0, cometAdmin: 0, jobAdmin: 0 },
    host: 'bench',
    demo: false,
    // Idle clients send no heartbeats during a run: keep them well inside the idle timeout.
    logic: { node: { heartbeat: '30m' }, ...extra.logic },
    comet: { protocol: { handshakeTimeout: '30s' }, ...extra.comet },
    job: { ...extra.job },
  });
  const app = createStandalone(config, queue ? { queue: { producer: queue.producer(), consumer: queue.consumer() } } : {});
  const a = await app.listen();
  serveCommands(
    () => app.comet.buckets.stats().channels,
    async () => {
      await app.close(0);
      await queue?.close();
    },
  );
  sendEvent({ t: 'ready', ws: a.ws.port, tcp: a.tcp.port, http: a.http.port, name: `goim-ts (${kind} queue)` });
}

main().catch(fail);
