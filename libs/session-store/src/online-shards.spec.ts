import { cityHash32 } from '@goim/bucket';
import { SessionStoreErrorCode } from './errors.js';
import { compareUtf8, decodeOnlineShards, encodeOnlineShards, goJsonString } from './online-shards.js';

const shardOf = (room: string) => cityHash32(room) % 64;

describe('goJsonString', () => {
  it('escapes like Go encoding/json: HTML characters and line/paragraph separators', () => {
    expect(goJsonString('a<b>&c\u2028\u2029')).toBe('"a\\u003cb\\u003e\\u0026c\\u2028\\u2029"');
    expect(goJsonString('q"\\\n\t\u0001')).toBe('"q\\"\\\\\\n\\t\\u0001"');
    expect(goJsonString('直播间🎉')).toBe('"直播间🎉"');
  });

  it('writes a lone surrogate as \\ufffd but leaves the literal text \\ud800 alone', () => {
    expect(goJsonString('x\ud800y')).toBe('"x\\ufffdy"');
    expect(goJsonString('\\ud800')).toBe('"\\\\ud800"');
    expect(goJsonString('\\\ud800')).toBe('"\\\\\\ufffd"');
  });
});

describe('compareUtf8', () => {
  it('orders by UTF-8 bytes, as Go sorts map keys', () => {
    const names = ['\uffff', '😀', 'b', 'a', 'ab', '', '\ue000', '中'];
    const byBytes = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...names].sort(compareUtf8)).toEqual(byBytes);
    expect(byBytes.indexOf('😀')).toBeGreaterThan(byBytes.indexOf('\uffff')); // JS sort would disagree
  });
});

describe('encodeOnlineShards / decodeOnlineShards', () => {
  it('round-trips a report through 64 fields', () => {
    const online = { server: 'c1', roomCount: { 'live://1': 1, 'live://2': 2, '': 3 }, updated: 9 };
    const shards = encodeOnlineShards(online, shardOf);
    expect(shards).toHaveLength(64);
    expect(shards.filter((s) => s.includes('"room_count":{}')).length).toBeGreaterThanOrEqual(61);
    const fields = Object.fromEntries(shards.map((s, i) => [String(i), s]));
    expect(decodeOnlineShards('c1', fields)).toEqual(online);
  });

  it('returns undefined for no fields and rejects non-goim JSON with BAD_ONLINE_DATA', () => {
    expect(decodeOnlineShards('c1', {})).toBeUndefined();
    for (const bad of ['nope', '[]', '{"room_count":{}}', '{"updated":1,"room_count":[]}', '{"updated":1,"room_count":{"r":"1"}}']) {
      expect(() => decodeOnlineShards('c1', { '3': bad })).toThrow(expect.objectContaining({ code: SessionStoreErrorCode.BAD_ONLINE_DATA }));
    }
  });
});
