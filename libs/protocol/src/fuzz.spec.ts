/**
 * Fuzz: random chunks (random lengths, random bytes, valid frames with one corrupted byte)
 * into both decoders. Only ProtocolError may escape, buffering stays within one frame,
 * and after a reset valid frames decode exactly. The stream decoder is also checked
 * against a one-shot reference parse of the same bytes.
 *
 * Deterministic: the seed comes from GOIM_FUZZ_SEED (default below) and is in every
 * failure message, so a failure can be replayed.
 */
import {
  FrameStreamDecoder,
  HEADER_SIZE,
  MAX_PACK_SIZE,
  ProtocolError,
  ProtocolErrorCode,
  decodeWsMessage,
  encodeFrame,
  encodeRawBatch,
  readRawBatch,
  type Frame,
} from './index.js';
import { seededRandom, concatBytes } from '@goim/testkit';

const SEED = Number(process.env['GOIM_FUZZ_SEED'] ?? 0x5eed1);
const CHUNKS = 100_000;

const rand = seededRandom(SEED);
const int = (n: number) => Math.floor(rand() * n);
// Random bytes are copied out of one pre-filled pool: filling byte by byte dominated the run time.
const POOL = Uint8Array.from({ length: 1 << 16 }, () => int(256));
const randomBytes = (n: number) => {
  const at = int(POOL.length - n);
  return POOL.slice(at, at + n);
};

function validFrame(): Uint8Array {
  const r = rand();
  const bodyLen = r < 0.3 ? 0 : r < 0.9 ? int(64) : r < 0.98 ? int(1024) : MAX_PACK_SIZE - HEADER_SIZE - int(3);
  return encodeFrame({ ver: int(3), op: int(2000) - 10, seq: int(1 << 20), body: randomBytes(bodyLen) });
}

/** A valid stream of 1–4 frames, with one byte replaced half of the time. */
function maybeCorruptStream(): Uint8Array {
  const s = concatBytes(Array.from({ length: 1 + int(4) }, validFrame));
  if (rand() < 0.5) {
    // Corrupt the header region of some frame more often than bodies: that is where the checks are.
    const at = rand() < 0.7 ? int(Math.min(s.length, 16)) : int(s.length);
    s[at] = (s[at]! + 1 + int(255)) & 0xff;
  }
  return s;
}

type Plain = [number, number, number, string];
const plain = (f: Frame): Plain => [f.ver, f.op, f.seq, Buffer.from(f.body).toString('hex')];

/** One-shot reference parse of a whole byte string with the stream decoder's rules. */
function reference(bytes: Uint8Array, maxPackLen: number): { frames: Plain[]; error?: string; leftover: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const frames: Plain[] = [];
  let off = 0;
  while (bytes.length - off >= HEADER_SIZE) {
    const packLen = view.getInt32(off);
    const headerLen = view.getInt16(off + 4);
    if (packLen > maxPackLen) return { frames, error: ProtocolErrorCode.PACK_TOO_LARGE, leftover: 0 };
    if (packLen < HEADER_SIZE) return { frames, error: ProtocolErrorCode.BAD_PACK_LEN, leftover: 0 };
    if (headerLen !== HEADER_SIZE) return { frames, error: ProtocolErrorCode.BAD_HEADER_LEN, leftover: 0 };
    if (bytes.length - off < packLen) break;
    frames.push([
      view.getInt16(off + 6),
      view.getInt32(off + 8),
      view.getInt32(off + 12),
      Buffer.from(bytes.subarray(off + HEADER_SIZE, off + packLen)).toString('hex'),
    ]);
    off += packLen;
  }
  return { frames, leftover: bytes.length - off };
}

function fail(message: string): never {
  throw new Error(`${message} (GOIM_FUZZ_SEED=${SEED})`);
}

describe('decoder fuzzing', () => {
  it(`feeds ${CHUNKS} random chunks to FrameStreamDecoder: only ProtocolError, bounded buffer, exact frames`, () => {
    const decoder = new FrameStreamDecoder();
    const stats = { chunks: 0, frames: 0, errors: 0, resets: 0, truncated: 0 };
    let maxBuffered = 0;

    while (stats.chunks < CHUNKS) {
      // One session: a few sources cut into random chunks, ended by an error or end().
      const source = concatBytes(Array.from({ length: 1 + int(3) }, () => (rand() < 0.25 ? randomBytes(int(300)) : maybeCorruptStream())));
      const got: Plain[] = [];
      let error: unknown;
      let off = 0;
      while (off < source.length && error === undefined) {
        const len = rand() < 0.5 ? 1 + int(8) : 1 + int(600);
        const chunk = source.subarray(off, off + len);
        off += chunk.length;
        stats.chunks++;
        try {
          decoder.feed(chunk, (f) => got.push(plain(f)));
        } catch (err) {
          error = err;
        }
        maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
        if (decoder.bufferedBytes > MAX_PACK_SIZE) fail(`buffered ${decoder.bufferedBytes} bytes`);
      }
      const fed = source.subarray(0, off);
      const want = reference(fed, MAX_PACK_SIZE);
      if (error === undefined) {
        try {
          decoder.end();
          if (want.leftover !== 0) fail(`end() accepted ${want.leftover} leftover bytes`);
        } catch (err) {
          if (!(err instanceof ProtocolError) || err.code !== ProtocolErrorCode.TRUNCATED || want.leftover === 0) throw err;
          stats.truncated++;
        }
      } else {
        if (!(error instanceof ProtocolError)) fail(`non-ProtocolError escaped: ${String(error)}`);
        if (error.code !== want.error) fail(`error ${error.code}, reference says ${String(want.error)}`);
        if (decoder.bufferedBytes !== 0) fail('a failed decoder still holds bytes');
        stats.errors++;
      }
      if (want.error !== undefined && error === undefined) fail(`reference error ${want.error} was not raised`);
      expect(got).toEqual(want.frames);
      stats.frames += got.length;

      // After a reset, valid frames split at random points decode exactly.
      decoder.reset();
      stats.resets++;
      const probe = [validFrame(), validFrame()];
      const bytes = concatBytes(probe);
      const cut = int(bytes.length + 1);
      const after = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))].map(plain);
      decoder.end();
      expect(after).toEqual(reference(bytes, MAX_PACK_SIZE).frames);
      expect(after).toHaveLength(2);
    }

    expect(stats.errors).toBeGreaterThan(1000);
    expect(stats.frames).toBeGreaterThan(10_000);
    expect(stats.truncated).toBeGreaterThan(100);
    expect(maxBuffered).toBeLessThanOrEqual(MAX_PACK_SIZE);
  });

  it(`feeds ${CHUNKS} random messages to decodeWsMessage: a frame equal to the message or a ProtocolError`, () => {
    let ok = 0;
    let rejected = 0;
    for (let i = 0; i < CHUNKS; i++) {
      const r = rand();
      const msg = r < 0.3 ? randomBytes(int(64)) : r < 0.4 ? randomBytes(HEADER_SIZE + int(64)) : maybeCorruptStream();
      let frame: Frame | undefined;
      try {
        frame = decodeWsMessage(msg);
      } catch (err) {
        if (!(err instanceof ProtocolError)) fail(`non-ProtocolError escaped: ${String(err)}`);
        rejected++;
        continue;
      }
      ok++;
      // Accepted only if the header describes exactly this message.
      const view = new DataView(msg.buffer, msg.byteOffset, msg.length);
      if (view.getInt32(0) !== msg.length || view.getInt16(4) !== HEADER_SIZE || msg.length > MAX_PACK_SIZE) fail('accepted a bad message');
      if (frame.body.length !== msg.length - HEADER_SIZE) fail('body length differs from the message');
    }
    expect(ok).toBeGreaterThan(10_000);
    expect(rejected).toBeGreaterThan(10_000);
    // A valid frame right after all that garbage still decodes.
    const f = decodeWsMessage(encodeFrame({ ver: 1, op: 2, seq: 9 }));
    expect(plain(f)).toEqual([1, 2, 9, '']);
  });

  it('feeds 20000 random and corrupted op-9 bodies to readRawBatch: frames or BAD_RAW_BATCH, never a crash', () => {
    let ok = 0;
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const body =
        rand() < 0.3
          ? randomBytes(int(80))
          : encodeRawBatch(Array.from({ length: 1 + int(4) }, () => ({ op: 1000 + int(3), body: randomBytes(int(40)) })));
      if (rand() < 0.6 && body.length > 0) {
        const at = int(body.length);
        body[at] = (body[at]! + 1 + int(255)) & 0xff;
      }
      try {
        const frames = readRawBatch(body);
        expect(frames.reduce((n, f) => n + HEADER_SIZE + f.body.length, 0)).toBe(body.length);
        ok++;
      } catch (err) {
        if (!(err instanceof ProtocolError) || err.code !== ProtocolErrorCode.BAD_RAW_BATCH) fail(`unexpected error: ${String(err)}`);
        rejected++;
      }
    }
    expect(ok).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
  });
});
