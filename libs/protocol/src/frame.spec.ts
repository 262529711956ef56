import { HEADER_SIZE, ProtocolError, ProtocolErrorCode, checkHeader, encodeFrame, encodeHeader, readHeader, writeHeader } from './index.js';

describe('frame header', () => {
  it.each([
    [1, 2, 3],
    [-32768, -2147483648, -1],
    [32767, 2147483647, 2147483647],
    [0, 1000, 0],
  ])('round-trips ver %i, op %i, seq %i through big-endian fields', (ver, op, seq) => {
    const h = encodeHeader({ ver, op, seq }, 5);
    expect(readHeader(h)).toEqual({ packLen: 21, headerLen: 16, ver, op, seq });
  });

  it('writes and reads at an offset inside a larger buffer', () => {
    const buf = new Uint8Array(40).fill(0xee);
    writeHeader(buf, 7, { ver: 1, op: 9, seq: 0 }, 100);
    expect(buf[6]).toBe(0xee);
    expect(buf[23]).toBe(0xee);
    expect(readHeader(buf, 7)).toEqual({ packLen: 116, headerLen: 16, ver: 1, op: 9, seq: 0 });
    expect(readHeader(buf.subarray(7))).toEqual(readHeader(buf, 7));
  });

  it('encodes a frame with and without a body', () => {
    expect(encodeFrame({ ver: 1, op: 2, seq: 2 })).toEqual(Uint8Array.from([0, 0, 0, 16, 0, 16, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2]));
    const f = encodeFrame({ ver: 1, op: 1000, seq: 0, body: Uint8Array.from([104, 105]) });
    expect(f.length).toBe(HEADER_SIZE + 2);
    expect(Array.from(f.subarray(16))).toEqual([104, 105]);
  });

  it.each([
    [4113, 16, 4112, ProtocolErrorCode.PACK_TOO_LARGE],
    [15, 16, 4112, ProtocolErrorCode.BAD_PACK_LEN],
    [-1, 16, 4112, ProtocolErrorCode.BAD_PACK_LEN],
    [16, 17, 4112, ProtocolErrorCode.BAD_HEADER_LEN],
  ])('checkHeader(%i, %i, %i) throws %s', (packLen, headerLen, max, code) => {
    expect(() => checkHeader(packLen, headerLen, max)).toThrow(ProtocolError);
    expect(() => checkHeader(packLen, headerLen, max)).toThrow(expect.objectContaining({ code }));
  });

  it('checkHeader accepts the limits themselves', () => {
    expect(() => checkHeader(16, 16, 4112)).not.toThrow();
    expect(() => checkHeader(4112, 16, 4112)).not.toThrow();
  });
});
