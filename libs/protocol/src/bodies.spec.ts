import { hex, loadVectors, thrownCode } from '@goim/testkit';
import {
  ProtocolErrorCode,
  decodeAuthReplyBody,
  decodeHeartbeatReplyBody,
  encodeAuthReplyBody,
  encodeAuthToken,
  encodeHeartbeatReplyBody,
  encodeOpList,
  parseAuthToken,
  parseOpList,
} from './index.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

describe('auth token (op 7)', () => {
  it('parses the auth vector body', () => {
    const { vectors } = loadVectors<{ vectors: { name: string; fields: { body_hex: string } }[] }>('frames.json');
    const auth = vectors.find((v) => v.name === 'auth')!;
    expect(parseAuthToken(hex(auth.fields.body_hex))).toEqual({ mid: 123, key: '', room_id: 'live://1000', platform: 'web', accepts: [1000, 1001] });
  });

  it('round-trips through encodeAuthToken with goim field names in goim order', () => {
    const token = { mid: 9007199254740991, key: 'k-1', room_id: 'live://1', platform: 'ios', accepts: [1000, -1, 2147483647] };
    const body = encodeAuthToken(token);
    expect(str(body)).toBe('{"mid":9007199254740991,"key":"k-1","room_id":"live://1","platform":"ios","accepts":[1000,-1,2147483647]}');
    expect(parseAuthToken(body)).toEqual(token);
    expect(str(encodeAuthToken({ room_id: 'r' }))).toBe('{"room_id":"r"}');
  });

  it('gives absent and null fields their zero values and ignores unknown fields', () => {
    expect(parseAuthToken('{}')).toEqual({ mid: 0, key: '', room_id: '', platform: '', accepts: [] });
    expect(parseAuthToken('{"mid":null,"key":null,"accepts":null,"extra":true}')).toEqual({ mid: 0, key: '', room_id: '', platform: '', accepts: [] });
  });

  it('rejects a body that is not JSON with GOIM_ERR_PROTOCOL_BAD_JSON', () => {
    expect(thrownCode(() => parseAuthToken(utf8('not json')))).toBe(ProtocolErrorCode.BAD_JSON);
    expect(thrownCode(() => parseAuthToken(new Uint8Array(0)))).toBe(ProtocolErrorCode.BAD_JSON);
    expect(thrownCode(() => parseAuthToken(new Uint8Array([0xff, 0xfe])))).toBe(ProtocolErrorCode.BAD_JSON);
  });

  it.each([
    ['an array', '[1]'],
    ['a number', '42'],
    ['null', 'null'],
    ['mid as a string', '{"mid":"123"}'],
    ['a fractional mid', '{"mid":1.5}'],
    ['a mid beyond 2^53', '{"mid":9007199254740993}'],
    ['key as a number', '{"key":1}'],
    ['room_id as an object', '{"room_id":{}}'],
    ['platform as a boolean', '{"platform":true}'],
    ['accepts as a string', '{"accepts":"1000"}'],
    ['accepts with a string', '{"accepts":[1000,"1001"]}'],
    ['accepts beyond int32', '{"accepts":[2147483648]}'],
  ])('rejects %s with GOIM_ERR_PROTOCOL_BAD_BODY', (_what, json) => {
    expect(thrownCode(() => parseAuthToken(json))).toBe(ProtocolErrorCode.BAD_BODY);
  });
});

describe('auth reply (op 8)', () => {
  it('round-trips {mid,key,room_id,heartbeat} with heartbeat in seconds', () => {
    const reply = { mid: 7, key: 'abc', room_id: 'live://2', heartbeat: 480 };
    const body = encodeAuthReplyBody(reply);
    expect(str(body)).toBe('{"mid":7,"key":"abc","room_id":"live://2","heartbeat":480}');
    expect(decodeAuthReplyBody(body)).toEqual(reply);
  });

  it("reads goim's empty op-8 body as undefined", () => {
    expect(decodeAuthReplyBody(new Uint8Array(0))).toBeUndefined();
  });

  it('rejects malformed bodies', () => {
    expect(thrownCode(() => decodeAuthReplyBody(utf8('{')))).toBe(ProtocolErrorCode.BAD_JSON);
    expect(thrownCode(() => decodeAuthReplyBody(utf8('{"heartbeat":"8m"}')))).toBe(ProtocolErrorCode.BAD_BODY);
    expect(thrownCode(() => decodeAuthReplyBody(utf8('{"heartbeat":-1}')))).toBe(ProtocolErrorCode.BAD_BODY);
    expect(thrownCode(() => decodeAuthReplyBody(utf8('{"key":5}')))).toBe(ProtocolErrorCode.BAD_BODY);
  });
});

describe('heartbeat reply (op 3)', () => {
  it('encodes the online count as a big-endian int32', () => {
    expect(Array.from(encodeHeartbeatReplyBody(42))).toEqual([0, 0, 0, 42]);
    expect(Array.from(encodeHeartbeatReplyBody(0x01020304))).toEqual([1, 2, 3, 4]);
    expect(decodeHeartbeatReplyBody(encodeHeartbeatReplyBody(-5))).toBe(-5);
  });

  it('refuses counts outside int32 and bodies that are not 4 bytes', () => {
    expect(() => encodeHeartbeatReplyBody(2 ** 31)).toThrow(RangeError);
    expect(() => encodeHeartbeatReplyBody(1.5)).toThrow(RangeError);
    expect(thrownCode(() => decodeHeartbeatReplyBody(new Uint8Array(3)))).toBe(ProtocolErrorCode.BAD_BODY);
    expect(thrownCode(() => decodeHeartbeatReplyBody(new Uint8Array(0)))).toBe(ProtocolErrorCode.BAD_BODY);
  });

  it('reads a body that is a view at an odd offset', () => {
    const buf = new Uint8Array([9, 0, 0, 1, 0]);
    expect(decodeHeartbeatReplyBody(buf.subarray(1))).toBe(256);
  });
});

describe('op lists (ops 14/16)', () => {
  it.each([
    ['1000,1001', [1000, 1001]],
    ['1002', [1002]],
    ['+7,-3,0', [7, -3, 0]],
    ['-0', [0]],
    ['2147483647,-2147483648', [2147483647, -2147483648]],
  ])('parses %j', (body, ops) => {
    expect(parseOpList(utf8(body))).toEqual(ops);
    expect(parseOpList(body)).toEqual(ops);
  });

  it.each(['', ',', '1000,', '1000, 1001', ' 1000', '10a', '1e3', '0x10', '2147483648', '1000,,1001', '１０００'])(
    'ignores the whole body %j (undefined), as goim does',
    (body) => {
      expect(parseOpList(utf8(body))).toBeUndefined();
    },
  );

  it('encodes ops as a comma-separated list', () => {
    expect(str(encodeOpList([1000, 1001]))).toBe('1000,1001');
    expect(encodeOpList([]).length).toBe(0);
    expect(() => encodeOpList([1.5])).toThrow(RangeError);
  });
});
