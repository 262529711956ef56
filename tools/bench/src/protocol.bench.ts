/**
 * Micro-benchmark of @goim/protocol: frame encode/decode throughput (frames/s and MB/s)
 * for 16 B – 4 KB bodies, TCP stream decoding with chunk boundaries inside frames, the
 * WebSocket message decoder and OpRaw batches.
 *
 * Run: `npm run bench:protocol` (not part of the test suite). `BENCH_MS` sets the time per
 * case (default 500 ms).
 */
import { FrameStreamDecoder, decodeWsMessage, encodeFrame, encodeHeader, encodeRawBatch, readRawBatch, type Frame } from '@goim/protocol';

const BENCH_MS = Number(process.env['BENCH_MS'] ?? 500);
const BODY_SIZES = [16, 256, 1024, 4096];

interface Row {
  name: string;
  framesPerSec: number;
  mbPerSec: number;
}

/** Runs `op` (which processes `frames` frames / `bytes` bytes per call) for BENCH_MS after a warm-up. */
function measure(name: string, frames: number, bytes: number, op: () => void): Row {
  const warmUntil = performance.now() + Math.min(200, BENCH_MS / 2);
  while (performance.now() < warmUntil) op();
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < BENCH_MS) {
    for (let i = 0; i < 8; i++) op();
    calls += 8;
    now = performance.now();
  }
  const sec = (now - start) / 1000;
  return { name, framesPerSec: (calls * frames) / sec, mbPerSec: (calls * bytes) / sec / 1e6 };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function chunks(stream: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i += size) out.push(stream.subarray(i, i + size));
  return out;
}

// A sink the optimiser cannot remove.
let sink = 0;
const onFrame = (f: Frame) => {
  sink += f.body.length;
};

const rows: Row[] = [];
for (const size of BODY_SIZES) {
  const body = new Uint8Array(size).fill(0x61);
  const frame = encodeFrame({ ver: 1, op: 1000, seq: 1, body });
  const frameLen = frame.length;

  rows.push(
    measure(`encodeFrame ${size} B`, 1, frameLen, () => {
      sink += encodeFrame({ ver: 1, op: 1000, seq: 1, body }).length;
    }),
  );
  rows.push(
    measure(`encodeHeader ${size} B (header + body views)`, 1, frameLen, () => {
      sink += encodeHeader({ ver: 1, op: 1000, seq: 1 }, body.length).length;
    }),
  );

  // ~256 KB of back-to-back frames, read as a socket would deliver them.
  const count = Math.max(1, Math.floor((256 * 1024) / frameLen));
  const stream = concat(Array.from({ length: count }, () => frame));
  for (const chunkSize of [65_536, 1_000]) {
    const parts = chunks(stream, chunkSize);
    const decoder = new FrameStreamDecoder();
    rows.push(
      measure(`stream feed() ${size} B, ${chunkSize} B chunks`, count, stream.length, () => {
        for (const p of parts) decoder.feed(p, onFrame);
      }),
    );
    rows.push(
      measure(`stream push() ${size} B, ${chunkSize} B chunks`, count, stream.length, () => {
        for (const p of parts) sink += decoder.push(p).length;
      }),
    );
  }

  rows.push(
    measure(`decodeWsMessage ${size} B`, 1, frameLen, () => {
      sink += decodeWsMessage(frame).body.length;
    }),
  );
}

// Room batches as job builds them: 20 pushes of 100 B.
const items = Array.from({ length: 20 }, (_, i) => ({ op: 1000, body: new Uint8Array(100).fill(i) }));
const batch = encodeRawBatch(items);
rows.push(
  measure('encodeRawBatch 20 × 100 B', 20, batch.length, () => {
    sink += encodeRawBatch(items).length;
  }),
);
rows.push(
  measure('readRawBatch 20 × 100 B', 20, batch.length, () => {
    sink += readRawBatch(batch).length;
  }),
);

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const width = Math.max(...rows.map((r) => r.name.length));
console.log(`@goim/protocol micro-benchmark — Node ${process.version}, ${BENCH_MS} ms per case`);
console.log(`${'case'.padEnd(width)}  ${'frames/s'.padStart(14)}  ${'MB/s'.padStart(9)}`);
for (const r of rows) console.log(`${r.name.padEnd(width)}  ${fmt(r.framesPerSec).padStart(14)}  ${fmt(r.mbPerSec, 1).padStart(9)}`);
if (sink === -1) console.log('unreachable');
