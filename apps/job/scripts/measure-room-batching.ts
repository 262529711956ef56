/**
 * Room batching measurement (README "Room batching"): the job on a MemoryPushQueue with real
 * gRPC fake comets; publishes `--msgs` room messages over `--rooms` rooms as fast as the queue
 * accepts them and reports BroadcastRoom calls (per comet) and wall time until every message
 * was acknowledged.
 *
 *   node --conditions=@goim/source --import tsx apps/job/scripts/measure-room-batching.ts \
 *     --msgs 5000 --rooms 1 --inflight 20 --idle true
 */
import { parseArgs } from 'node:util';
import { PushMsg } from '@goim/protocol/rpc';
import { MemoryPushQueue } from '@goim/queue';
import { MemoryCometDirectory } from '../src/comet-directory.js';
import { parseJobConfig, queueMaxInFlight } from '../src/config.js';
import { createJob } from '../src/job.js';
import { startFakeComet } from '../src/testing/fake-comet.js';

const { values } = parseArgs({
  options: {
    msgs: { type: 'string', default: '5000' },
    rooms: { type: 'string', default: '1' },
    inflight: { type: 'string', default: '0' },
    idle: { type: 'string', default: 'false' },
    comets: { type: 'string', default: '2' },
  },
});
const msgs = Number(values.msgs);
const rooms = Number(values.rooms);

const comets = await Promise.all(Array.from({ length: Number(values.comets) }, (_, i) => startFakeComet(`c${i + 1}`)));
const dir = MemoryCometDirectory.fromAddresses(comets.map((c) => ({ hostname: c.hostname, addr: c.addr })));
const queue = new MemoryPushQueue();
const config = parseJobConfig({ queue: { maxInFlightPerKey: Number(values.inflight) }, room: { flushWhenIdle: values.idle === 'true' } });
const job = createJob(config, { consumer: queue.consumer(), comets: dir });
await job.start();
const t0 = performance.now();
for (let i = 0; i < msgs; i++) {
  await queue.producer().publish(PushMsg.fromPartial({ type: 1, operation: 1000, room: `live://${i % rooms}`, msg: Buffer.from(String(i)), msgID: `r${i}` }));
}
while (queue.size > 0) await new Promise((r) => setTimeout(r, 1));
const ms = performance.now() - t0;
const calls = comets[0]!.roomBatches.length;
const frames = [...comets[0]!.frames.values()].reduce((n, f) => n + f.length, 0);
console.log(JSON.stringify({ msgs, rooms, inflight: queueMaxInFlight(config), flushWhenIdle: config.room.flushWhenIdle, broadcastRoomCallsPerComet: calls, framesPerComet: frames, avgBatch: +(frames / calls).toFixed(2), wallMs: Math.round(ms) }));
await job.close();
await queue.close();
await dir.close();
await Promise.all(comets.map((c) => c.close()));
