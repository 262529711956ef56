import { Op, ProtocolErrorCode, encodeRawBatch, filterRawBatch, iterateRawBatch, readHeader, readRawBatch, wrapRaw, type Frame } from './index.js';
import { thrownCode } from '@goim/testkit';

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (f: Frame) => new TextDecoder().decode(f.body);

describe('OpRaw batches', () => {
  it('packs frames with ver 1 and seq 0 and reads them back', () => {
    const body = encodeRawBatch([
      { op: 1000, body: utf8('{"a":1}') },
      { op: 1001, body: utf8('') },
      { op: 1002, body: utf8('hi'), ver: 2, seq: 5 },
    ]);
    expect(body.length).toBe(16 * 3 + 7 + 2);
    const frames = readRawBatch(body);
    expect(frames.map((f) => [f.ver, f.op, f.seq, text(f)])).toEqual([
      [1, 1000, 0, '{"a":1}'],
      [1, 1001, 0, ''],
      [2, 1002, 5, 'hi'],
    ]);
    expect(frames[0]!.body.buffer).toBe(body.buffer);
  });

  it('treats an empty body as an empty batch', () => {
    expect(encodeRawBatch([]).length).toBe(0);
    expect(readRawBatch(new Uint8Array(0))).toEqual([]);
  });

  it('wraps a body in an op-9 header with ver 1, seq 0 and packLen 16 + body', () => {
    const body = encodeRawBatch([{ op: 1000, body: utf8('x') }]);
    expect(readHeader(wrapRaw(body))).toEqual({ packLen: 16 + body.length, headerLen: 16, ver: 1, op: Op.Raw, seq: 0 });
  });

  describe('malformed inner frames', () => {
    const good = encodeRawBatch([{ op: 1000, body: utf8('abc') }]);
    const withBytes = (edit: (b: Uint8Array, v: DataView) => void, extra = 0) => {
      const b = new Uint8Array(good.length + extra);
      b.set(good);
      edit(b, new DataView(b.buffer));
      return b;
    };

    it.each([
      ['trailing bytes shorter than a header', withBytes(() => undefined, 5)],
      ['headerLen 17', withBytes((_b, v) => v.setInt16(4, 17))],
      ['packLen 15', withBytes((_b, v) => v.setInt32(0, 15))],
      ['packLen -1', withBytes((_b, v) => v.setInt32(0, -1))],
      ['packLen past the end', withBytes((_b, v) => v.setInt32(0, 20))],
    ])('rejects %s with GOIM_ERR_PROTOCOL_BAD_RAW_BATCH and returns no partial list', (_what, body) => {
      expect(thrownCode(() => readRawBatch(body))).toBe(ProtocolErrorCode.BAD_RAW_BATCH);
    });

    it('yields the frames before a bad one when iterating lazily', () => {
      const body = withBytes(() => undefined, 3);
      const seen: string[] = [];
      expect(
        thrownCode(() => {
          for (const f of iterateRawBatch(body)) seen.push(text(f));
        }),
      ).toBe(ProtocolErrorCode.BAD_RAW_BATCH);
      expect(seen).toEqual(['abc']);
    });

    it('applies an optional maxPackLen to inner frames', () => {
      expect(thrownCode(() => readRawBatch(good, 18))).toBe(ProtocolErrorCode.BAD_RAW_BATCH);
      expect(readRawBatch(good, 19)).toHaveLength(1);
    });
  });
});

describe('filterRawBatch', () => {
  const items = [
    { op: 1000, body: utf8('a') },
    { op: 1001, body: utf8('bb'), ver: 2, seq: 7 },
    { op: 1002, body: utf8('') },
    { op: 1003, body: utf8('dddd') },
  ];

  it('keeps the chosen inner frames, bytes verbatim and in order', () => {
    // A batch inside a larger buffer: offsets must be relative to the body view.
    const whole = new Uint8Array(5 + encodeRawBatch(items).length);
    whole.set(encodeRawBatch(items), 5);
    const body = whole.subarray(5);
    expect(filterRawBatch(body, (i) => i === 1 || i === 3)).toEqual(encodeRawBatch([items[1]!, items[3]!]));
    expect(filterRawBatch(body, (i) => i === 0)).toEqual(encodeRawBatch([items[0]!]));
  });

  it('returns the same body when all are kept and an empty one when none is', () => {
    const body = encodeRawBatch(items);
    expect(filterRawBatch(body, () => true)).toBe(body);
    expect(filterRawBatch(body, () => false)).toHaveLength(0);
  });

  it('throws BAD_RAW_BATCH on a malformed inner frame', () => {
    const body = encodeRawBatch(items).slice(0, 20);
    expect(thrownCode(() => filterRawBatch(body, () => true))).toBe(ProtocolErrorCode.BAD_RAW_BATCH);
  });
});
