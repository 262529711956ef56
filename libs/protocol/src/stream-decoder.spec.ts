import { FrameStreamDecoder, ProtocolError, ProtocolErrorCode, encodeFrame, encodeHeader, type Frame } from './index.js';

const frame = (op: number, body: string, seq = 1) => encodeFrame({ ver: 1, op, seq, body: new TextEncoder().encode(body) });
const text = (f: Frame) => new TextDecoder().decode(f.body);

function thrown(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected a ProtocolError');
}

describe('FrameStreamDecoder', () => {
  it('decodes a frame split across three chunks', () => {
    const bytes = frame(1000, 'hello world');
    const d = new FrameStreamDecoder();
    expect(d.push(bytes.subarray(0, 5))).toEqual([]);
    expect(d.hasPartialFrame).toBe(true);
    expect(d.push(bytes.subarray(5, 20))).toEqual([]);
    expect(d.bufferedBytes).toBe(20);
    const [f] = d.push(bytes.subarray(20));
    expect(f).toMatchObject({ ver: 1, op: 1000, seq: 1 });
    expect(text(f!)).toBe('hello world');
    expect(d.hasPartialFrame).toBe(false);
    expect(d.bufferedBytes).toBe(0);
  });

  it('decodes many frames from one chunk in order, with bodies viewing the chunk (no copy)', () => {
    const chunk = new Uint8Array([...frame(2, '', 1), ...frame(1000, 'a', 2), ...frame(1001, 'bc', 3)]);
    const frames = new FrameStreamDecoder().push(chunk);
    expect(frames.map((f) => [f.op, f.seq, text(f)])).toEqual([
      [2, 1, ''],
      [1000, 2, 'a'],
      [1001, 3, 'bc'],
    ]);
    expect(frames[2]!.body.buffer).toBe(chunk.buffer);
  });

  it('finishes a split frame and decodes the whole frames after it from the same chunk', () => {
    const a = frame(1000, 'first');
    const b = frame(1001, 'second');
    const d = new FrameStreamDecoder();
    expect(d.push(a.subarray(0, 18))).toEqual([]);
    const got = d.push(new Uint8Array([...a.subarray(18), ...b, ...b.subarray(0, 3)]));
    expect(got.map(text)).toEqual(['first', 'second']);
    expect(d.bufferedBytes).toBe(3);
    expect(d.push(b.subarray(3)).map(text)).toEqual(['second']);
  });

  it('delivers the same frames through feed() callbacks as through push()', () => {
    const chunk = new Uint8Array([...frame(7, '{}'), ...frame(2, '')]);
    const seen: number[] = [];
    new FrameStreamDecoder().feed(chunk, (f) => seen.push(f.op));
    expect(seen).toEqual([7, 2]);
  });

  it('rejects packLen 5000 as soon as the header is complete, before buffering the body', () => {
    const d = new FrameStreamDecoder();
    const header = encodeHeader({ ver: 1, op: 1000, seq: 1 }, 5000 - 16);
    expect(d.push(header.subarray(0, 10))).toEqual([]);
    const err = thrown(() => d.push(header.subarray(10)));
    expect(err.code).toBe(ProtocolErrorCode.PACK_TOO_LARGE);
    expect(err.message).toContain('5000');
    expect(err.disconnectCode).toBe(3501);
    expect(d.bufferedBytes).toBe(0);
  });

  it('rejects headerLen 15 with GOIM_ERR_PROTOCOL_BAD_HEADER_LEN', () => {
    const bytes = frame(2, '');
    bytes[5] = 15;
    expect(thrown(() => new FrameStreamDecoder().push(bytes)).code).toBe(ProtocolErrorCode.BAD_HEADER_LEN);
  });

  it('stays failed after an error until reset(), then decodes valid frames', () => {
    const d = new FrameStreamDecoder();
    const bad = frame(2, '');
    bad[3] = 3; // packLen 3
    const first = thrown(() => d.push(bad));
    expect(first.code).toBe(ProtocolErrorCode.BAD_PACK_LEN);
    expect(thrown(() => d.push(frame(2, '')))).toBe(first);
    expect(thrown(() => d.end())).toBe(first);
    d.reset();
    expect(d.push(frame(1000, 'ok')).map(text)).toEqual(['ok']);
    d.end();
  });

  it('drops a partial frame on reset()', () => {
    const d = new FrameStreamDecoder();
    d.push(frame(1000, 'abcdef').subarray(0, 19));
    d.reset();
    expect(d.bufferedBytes).toBe(0);
    expect(d.push(frame(1000, 'x')).map(text)).toEqual(['x']);
  });

  it('throws GOIM_ERR_PROTOCOL_TRUNCATED from end() inside a frame and not between frames', () => {
    const d = new FrameStreamDecoder();
    d.push(frame(2, ''));
    d.end();
    d.push(frame(1000, 'abc').subarray(0, 17));
    const err = thrown(() => d.end());
    expect(err.code).toBe(ProtocolErrorCode.TRUNCATED);
    expect(err.message).toContain('17 of 19');
  });

  it('accepts server → client frames beyond 4112 bytes when maxPackLen allows them', () => {
    const big = encodeFrame({ ver: 1, op: 9, seq: 0, body: new Uint8Array(100_000).fill(7) });
    expect(thrown(() => new FrameStreamDecoder().push(big)).code).toBe(ProtocolErrorCode.PACK_TOO_LARGE);
    const d = new FrameStreamDecoder({ maxPackLen: Infinity });
    const got: Frame[] = [];
    for (let i = 0; i < big.length; i += 4096) got.push(...d.push(big.subarray(i, i + 4096)));
    expect(got).toHaveLength(1);
    expect(got[0]!.body.length).toBe(100_000);
    expect(got[0]!.body.every((b) => b === 7)).toBe(true);
  });

  it('rejects a maxPackLen below the header size', () => {
    expect(() => new FrameStreamDecoder({ maxPackLen: 15 })).toThrow(RangeError);
    expect(() => new FrameStreamDecoder({ maxPackLen: Number.NaN })).toThrow(RangeError);
  });

  it('is left failed when the frame callback throws', () => {
    const d = new FrameStreamDecoder();
    const boom = new Error('handler failed');
    expect(() =>
      d.feed(frame(2, ''), () => {
        throw boom;
      }),
    ).toThrow(boom);
    expect(() => d.push(frame(2, ''))).toThrow(boom);
  });
});
