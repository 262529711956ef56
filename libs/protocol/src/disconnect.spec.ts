import { DisconnectCode, Op, decodeDisconnectBody, encodeDisconnectBody, shouldReconnect } from './index.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('disconnect notices (op 6)', () => {
  it('is sent on op 6, goim’s unused OpDisconnectReply', () => {
    expect(Op.DisconnectReply).toBe(6);
  });

  it('puts every code in its documented range: 3000–3499 reconnect, 3500–3999 terminal', () => {
    const reconnect = ['SHUTDOWN', 'HEARTBEAT_TIMEOUT', 'HANDSHAKE_TIMEOUT', 'SLOW_CONSUMER', 'SERVER_ERROR'];
    for (const [name, code] of Object.entries(DisconnectCode)) {
      expect(code >= 3000 && code < 4000).toBe(true);
      expect(shouldReconnect(code)).toBe(reconnect.includes(name));
    }
    expect(new Set(Object.values(DisconnectCode)).size).toBe(Object.keys(DisconnectCode).length);
  });

  it('encodes {code, reason, reconnect} and decodes it back', () => {
    const body = encodeDisconnectBody(DisconnectCode.SLOW_CONSUMER, 'outbound buffer full');
    expect(new TextDecoder().decode(body)).toBe('{"code":3003,"reason":"outbound buffer full","reconnect":true}');
    expect(decodeDisconnectBody(body)).toEqual({ code: 3003, reason: 'outbound buffer full', reconnect: true });
    expect(decodeDisconnectBody(encodeDisconnectBody(DisconnectCode.KICKED, 'bye'))).toEqual({ code: 3500, reason: 'bye', reconnect: false });
  });

  it('lets the caller override reconnect', () => {
    expect(decodeDisconnectBody(encodeDisconnectBody(DisconnectCode.SHUTDOWN, 'drain', false))?.reconnect).toBe(false);
  });

  it('derives reconnect from the code when the body leaves it out', () => {
    expect(decodeDisconnectBody(utf8('{"code":3001,"reason":"idle"}'))).toEqual({ code: 3001, reason: 'idle', reconnect: true });
    expect(decodeDisconnectBody(utf8('{"code":3502,"reason":"no"}'))).toEqual({ code: 3502, reason: 'no', reconnect: false });
  });

  it.each(['', 'nope', '{"code":"3000","reason":"x"}', '{"code":3000}', 'null', '[]'])('returns undefined for %j', (body) => {
    expect(decodeDisconnectBody(utf8(body))).toBeUndefined();
  });
});
