/**
 * Micro benchmark of @goim/bucket: CityHash32, room fan-out to N null sinks (timed until every
 * sink has been flushed, not until the push call returns), key push, broadcast and room
 * join/leave. Prints one table.
 *
 *   npx tsx --conditions=@goim/source --expose-gc tools/bench/src/bucket.bench.ts [members=10000]
 */
import { Buckets, cityHash32 } from '@goim/bucket';
import type { Channel } from '@goim/bucket';
import { NullSink } from '@goim/bucket/testing';

interface Row {
  scenario: string;
  ops: number;
  ms: number;
  rate: string;
  note: string;
}

const rows: Row[] = [];
const fmt = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k/s` : `${n.toFixed(0)} /s`;
const record = (scenario: string, ops: number, ms: number, note = ''): void => {
  rows.push({ scenario, ops, ms: Math.round(ms * 10) / 10, rate: fmt((ops / ms) * 1000), note });
};
const now = (): number => performance.now();
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

function benchCityHash(): void {
  const inputs: [string, (string | Uint8Array)[]][] = [
    ['cityHash32 uuid key (string, 36 B)', Array.from({ length: 1024 }, (_, i) => `3f2504e0-4f89-11d3-9a0c-${String(i).padStart(12, '0')}`)],
    ['cityHash32 room id (string, 11 B)', Array.from({ length: 1024 }, (_, i) => `live://${i + 1000}`)],
    ['cityHash32 bytes 4 B', Array.from({ length: 1024 }, (_, i) => Uint8Array.of(i, i >> 8, 0x80, 0xff))],
    ['cityHash32 bytes 256 B', Array.from({ length: 64 }, (_, i) => new Uint8Array(256).fill(i))],
  ];
  for (const [name, list] of inputs) {
    let sink = 0;
    const n = 1_000_000;
    for (let i = 0; i < 50_000; i++) sink ^= cityHash32(list[i % list.length]!); // warm-up
    const t0 = now();
    for (let i = 0; i < n; i++) sink ^= cityHash32(list[i % list.length]!);
    record(name, n, now() - t0, `checksum ${(sink >>> 0).toString(16)}`);
  }
}

/** `members` channels in one room, each with a null sink counting flushes. */
function roomSetup(members: number, accepts: number[] = []) {
  let flushed = 0;
  const buckets = new Buckets({ maxOutboundBytes: 64 * 1024 * 1024 });
  const chans: Channel[] = [];
  for (let i = 0; i < members; i++) {
    const sink = new NullSink(() => flushed++);
    const ch = buckets.newChannel({ key: `key-${i}`, mid: i, ip: `10.0.${(i >> 8) & 255}.${i & 255}`, sink, accepts });
    buckets.put(ch, 'live://bench');
    chans.push(ch);
  }
  return { buckets, chans, flushedCount: () => flushed };
}

async function benchFanOut(members: number): Promise<void> {
  const frame = new Uint8Array(16 + 64); // one pre-serialised frame with a 64-byte body
  for (const pushesPerTick of [1, 10]) {
    const { buckets, flushedCount } = roomSetup(members);
    const rounds = pushesPerTick === 1 ? 200 : 50;
    let target = 0;
    const t0 = now();
    for (let r = 0; r < rounds; r++) {
      for (let p = 0; p < pushesPerTick; p++) buckets.broadcastRoom('live://bench', frame);
      target += members;
      // Timed until every member's sink has been flushed.
      while (flushedCount() < target) await nextTurn();
    }
    const ms = now() - t0;
    const delivered = rounds * pushesPerTick * members;
    record(`room fan-out to ${members} null sinks, ${pushesPerTick} push/tick`, delivered, ms, `${rounds} rounds, ${buckets.counters.flushes} flushes`);
  }
}

async function benchKeyPush(members: number): Promise<void> {
  const { buckets, flushedCount } = roomSetup(members, [1000]);
  const frame = new Uint8Array(16 + 64);
  const keys = Array.from({ length: members }, (_, i) => `key-${i}`);
  const t0 = now();
  const batch = 100;
  for (let i = 0; i < members; i += batch) buckets.pushKeys(keys.slice(i, i + batch), 1000, frame);
  while (flushedCount() < members) await nextTurn();
  record(`pushKeys ×${members} (batches of ${batch})`, members, now() - t0);
  const t1 = now();
  await buckets.broadcast(1000, frame);
  while (flushedCount() < 2 * members) await nextTurn();
  record(`broadcast to ${members} (accepts match)`, members, now() - t1);
}

function benchJoinLeave(members: number): void {
  const { buckets, chans } = roomSetup(members);
  const cycles = 5;
  const t0 = now();
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < chans.length; i++) buckets.joinRoom(chans[i]!, `room-${i % 100}`);
    for (let i = 0; i < chans.length; i++) buckets.leaveRoom(chans[i]!, `room-${i % 100}`);
  }
  record(`join+leave (op 18/20) over 100 rooms`, cycles * members * 2, now() - t0);
  const t1 = now();
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < chans.length; i++) buckets.changeRoom(chans[i]!, `room-${(i + c) % 100}`);
  }
  record(`changeRoom (op 12)`, cycles * members, now() - t1);
  const t2 = now();
  for (const ch of chans) ch.close();
  record(`close + del`, members, now() - t2, `stats after: ${JSON.stringify(buckets.stats())}`);
}

/** Heap bytes per registered channel (one room, two accepts, null sink, nothing queued). */
function benchMemory(members: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const { buckets } = roomSetup(members, [1000, 1001]);
  gc?.();
  const perChannel = (process.memoryUsage().heapUsed - before) / members;
  rows.push({
    scenario: `heap per idle channel (incl. its NullSink, key and ip strings)`,
    ops: members,
    ms: 0,
    rate: `${Math.round(perChannel)} B`,
    note: gc ? `after gc; ${buckets.stats().channels} channels` : 'run with --expose-gc for a stable figure',
  });
}

async function main(): Promise<void> {
  const members = Number(process.argv[2] ?? 10_000);
  if (!Number.isInteger(members) || members < 1) throw new TypeError('members must be a positive integer');
  benchCityHash();
  await benchFanOut(members);
  await benchKeyPush(members);
  benchJoinLeave(members);
  benchMemory(members);
  console.log(`@goim/bucket micro benchmark — node ${process.version}, ${members} members`);
  console.table(rows);
}

void main();
