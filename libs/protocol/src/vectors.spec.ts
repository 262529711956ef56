/**
 * Conformance: every vector of vectors/frames.json against the codec (decode valid →
 * fields/frames, encode fields → hex, invalid client → server → ProtocolError and no frame).
 */
import { concatBytes, hex, loadVectors, toHex } from '@goim/testkit';
import {
  FrameStreamDecoder,
  MAX_PACK_SIZE,
  ProtocolError,
  ProtocolErrorCode,
  decodeHeartbeatReplyBody,
  decodeWsMessage,
  encodeFrame,
  encodeHeartbeatReplyBody,
  encodeRawBatch,
  readHeader,
  readRawBatch,
  wrapRaw,
  type Frame,
} from './index.js';

interface VFields {
  packLen?: number;
  headerLen?: number;
  ver?: number;
  op?: number;
  seq?: number;
  body_hex?: string;
  body_int32_be?: number;
  inner?: VFields[];
}
interface Vector {
  name: string;
  direction: 'client->server' | 'server->client';
  transport: 'tcp' | 'ws' | 'both';
  hex: string;
  length: number;
  valid: boolean;
  fields: VFields;
  frames?: VFields[];
}

const file = loadVectors<{ vectors: Vector[]; limits: { max_client_packLen: number } }>('frames.json');
const vectors = file.vectors;
const valid = vectors.filter((v) => v.valid);
const invalid = vectors.filter((v) => !v.valid);

const limitOf = (v: Vector): number => (v.direction === 'client->server' ? MAX_PACK_SIZE : Infinity);
const plain = (f: Frame) => ({ ver: f.ver, op: f.op, seq: f.seq, body_hex: toHex(f.body) });
const expected = (f: VFields) => ({ ver: f.ver, op: f.op, seq: f.seq, body_hex: f.body_hex });

// What each invalid vector must be rejected with.
const EXPECTED_CODE: Record<string, ProtocolErrorCode> = {
  invalid_packlen_4113: ProtocolErrorCode.PACK_TOO_LARGE,
  invalid_packlen_15: ProtocolErrorCode.BAD_PACK_LEN,
  invalid_packlen_0: ProtocolErrorCode.BAD_PACK_LEN,
  invalid_packlen_negative: ProtocolErrorCode.BAD_PACK_LEN,
  invalid_headerlen_15: ProtocolErrorCode.BAD_HEADER_LEN,
  invalid_headerlen_17: ProtocolErrorCode.BAD_HEADER_LEN,
  invalid_ws_message_15_bytes: ProtocolErrorCode.SHORT_MESSAGE,
  invalid_ws_message_empty: ProtocolErrorCode.SHORT_MESSAGE,
  invalid_ws_packlen_gt_message: ProtocolErrorCode.LENGTH_MISMATCH,
  invalid_ws_packlen_lt_message: ProtocolErrorCode.LENGTH_MISMATCH,
  invalid_tcp_truncated_body_then_eof: ProtocolErrorCode.TRUNCATED,
  invalid_tcp_truncated_header_then_eof: ProtocolErrorCode.TRUNCATED,
};

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('frames.json', () => {
  it('holds the vectors this suite knows', () => {
    expect(valid.length).toBeGreaterThanOrEqual(20);
    expect(invalid.map((v) => v.name).sort()).toEqual(Object.keys(EXPECTED_CODE).sort());
    expect(file.limits.max_client_packLen).toBe(MAX_PACK_SIZE);
  });
});

describe.each(valid.map((v) => [v.name, v] as const))('valid vector %s', (_name, v) => {
  const bytes = hex(v.hex);
  const frames = v.frames ?? [v.fields];

  it('has the recorded length and header', () => {
    expect(bytes.length).toBe(v.length);
    const h = readHeader(bytes);
    expect(h).toEqual({ packLen: v.fields.packLen, headerLen: v.fields.headerLen, ver: v.fields.ver, op: v.fields.op, seq: v.fields.seq });
  });

  it('encodes its fields to the exact bytes', () => {
    if (v.fields.inner) {
      const batch = encodeRawBatch(v.fields.inner.map((f) => ({ op: f.op!, ver: f.ver!, seq: f.seq!, body: hex(f.body_hex!) })));
      expect(toHex(batch)).toBe(v.fields.body_hex);
      expect(toHex(concatBytes([wrapRaw(batch), batch]))).toBe(v.hex);
    }
    const encoded = concatBytes(frames.map((f) => encodeFrame({ ver: f.ver!, op: f.op!, seq: f.seq!, body: hex(f.body_hex!) })));
    expect(toHex(encoded)).toBe(v.hex);
    if (v.fields.body_int32_be !== undefined) {
      expect(toHex(encodeHeartbeatReplyBody(v.fields.body_int32_be))).toBe(v.fields.body_hex);
      expect(decodeHeartbeatReplyBody(hex(v.fields.body_hex!))).toBe(v.fields.body_int32_be);
    }
  });

  if (v.transport !== 'tcp') {
    it('decodes as one WebSocket message', () => {
      const f = decodeWsMessage(bytes, limitOf(v));
      expect(plain(f)).toEqual(expected(v.fields));
      if (v.fields.inner) expect(readRawBatch(f.body).map(plain)).toEqual(v.fields.inner.map(expected));
    });
  }

  if (v.transport !== 'ws') {
    it('decodes from a TCP stream in one chunk, byte by byte, and split at every offset', () => {
      const want = frames.map(expected);
      expect(new FrameStreamDecoder({ maxPackLen: limitOf(v) }).push(bytes).map(plain)).toEqual(want);

      const d = new FrameStreamDecoder({ maxPackLen: limitOf(v) });
      const got: Frame[] = [];
      for (let i = 0; i < bytes.length; i++) d.feed(bytes.subarray(i, i + 1), (f) => got.push(f));
      d.end();
      expect(got.map(plain)).toEqual(want);

      const step = bytes.length > 200 ? 97 : 1;
      for (let cut = 1; cut < bytes.length; cut += step) {
        const s = new FrameStreamDecoder({ maxPackLen: limitOf(v) });
        const parts = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut))];
        s.end();
        expect(parts.map(plain)).toEqual(want);
      }
    });
  }
});

describe.each(invalid.map((v) => [v.name, v] as const))('invalid vector %s', (name, v) => {
  const bytes = hex(v.hex);
  const code = EXPECTED_CODE[name]!;

  if (v.transport !== 'tcp') {
    it(`is rejected as a WebSocket message with ${code}`, () => {
      const err = catchError(() => decodeWsMessage(bytes));
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe(code);
    });
  }

  if (v.transport !== 'ws') {
    it(`is rejected on a TCP stream with ${code} and yields no frame`, () => {
      for (const chunkSize of [bytes.length, 1, 7]) {
        const d = new FrameStreamDecoder();
        const got: Frame[] = [];
        const err = catchError(() => {
          for (let i = 0; i < bytes.length; i += chunkSize) d.feed(bytes.subarray(i, i + chunkSize), (f) => got.push(f));
          d.end();
        });
        expect(err).toBeInstanceOf(ProtocolError);
        expect((err as ProtocolError).code).toBe(code);
        expect(got).toEqual([]);
        expect(d.bufferedBytes).toBe(0);
      }
    });
  }
});
