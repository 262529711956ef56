import { AdminApi, AdminApiError, TOKEN_STORAGE_KEY, parseMids, splitList, tailToken, type TokenStorage } from './api.js';

class MapStorage implements TokenStorage {
  readonly map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

type Call = { url: string; init: RequestInit | undefined };

function fakeFetch(reply: (url: string) => { status: number; body: unknown }) {
  const calls: Call[] = [];
  const f = async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    const r = reply(url);
    return new Response(typeof r.body === 'string' ? r.body : JSON.stringify(r.body), { status: r.status });
  };
  return { f, calls };
}

describe('AdminApi', () => {
  it('keeps the token only after the server accepted it, and sends it as a bearer header', async () => {
    const storage = new MapStorage();
    const { f, calls } = fakeFetch(() => ({ status: 200, body: { code: 0, message: '', data: { nodes: [] } } }));
    const api = new AdminApi(storage, f, 'http://logic');
    await api.login('  s3cret ');
    expect(storage.map.get(TOKEN_STORAGE_KEY)).toBe('s3cret');
    await api.topRooms(5);
    expect(calls.map((c) => c.url)).toEqual(['http://logic/goim/admin/nodes', 'http://logic/goim/admin/rooms/top?limit=5']);
    expect((calls[1]!.init!.headers as Record<string, string>).authorization).toBe('Bearer s3cret');
    api.logout();
    expect(api.token).toBeNull();
  });

  it('refuses a wrong token without storing it', async () => {
    const storage = new MapStorage();
    const { f } = fakeFetch(() => ({ status: 401, body: { code: -401, message: 'missing or invalid admin token' } }));
    const api = new AdminApi(storage, f);
    const err = await api.login('wrong').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminApiError);
    expect(err).toMatchObject({ status: 401, code: -401, refused: true, message: 'refused: missing or invalid admin token' });
    expect(storage.map.size).toBe(0);
  });

  it('does not call the server without a token', async () => {
    const { f, calls } = fakeFetch(() => ({ status: 200, body: {} }));
    const api = new AdminApi(new MapStorage(), f);
    await expect(api.nodes()).rejects.toMatchObject({ status: 401, message: 'not logged in' });
    await expect(api.login('   ')).rejects.toMatchObject({ message: 'enter the admin token' });
    expect(calls).toEqual([]);
  });

  it('encodes room ids and posts JSON for push and kick', async () => {
    const storage = new MapStorage();
    storage.setItem(TOKEN_STORAGE_KEY, 't');
    const { f, calls } = fakeFetch(() => ({ status: 200, body: { code: 0, message: '', data: {} } }));
    const api = new AdminApi(storage, f);
    await api.room('live://1000');
    await api.push({ target: 'room', operation: 1000, body: 'hi', room: 'live://1' });
    await api.kick({ mids: [3], reason: 'r' });
    expect(calls[0]!.url).toBe('/goim/admin/rooms/live%3A%2F%2F1000');
    expect(calls[1]!.init).toMatchObject({ method: 'POST', body: '{"target":"room","operation":1000,"body":"hi","room":"live://1"}' });
    expect((calls[2]!.init!.headers as Record<string, string>)['content-type']).toBe('application/json');
  });

  it('turns a non-zero envelope code or a non-JSON answer into an error with the message', async () => {
    const storage = new MapStorage();
    storage.setItem(TOKEN_STORAGE_KEY, 't');
    let reply = { status: 400, body: { code: -400, message: 'keys: target "keys" needs keys' } as unknown };
    const api = new AdminApi(storage, fakeFetch(() => reply).f);
    await expect(api.push({ target: 'keys', operation: 1, body: '' })).rejects.toMatchObject({ status: 400, refused: false, message: 'keys: target "keys" needs keys' });
    reply = { status: 502, body: '<html>bad gateway</html>' };
    await expect(api.nodes()).rejects.toMatchObject({ status: 502, message: 'HTTP 502' });
  });
});

describe('form parsing', () => {
  it('splits lists on commas and spaces', () => {
    expect(splitList(' a, b  c,,d ')).toEqual(['a', 'b', 'c', 'd']);
  });
  it('parses mids and rejects anything but positive integers', () => {
    expect(parseMids('1, 22 333')).toEqual([1, 22, 333]);
    expect(() => parseMids('1, x')).toThrow('not a mid: x');
    expect(() => parseMids('0')).toThrow('not a mid: 0');
  });
});

describe('tailToken', () => {
  it('defaults to a goim-json token for the room, mid 0', () => {
    expect(tailToken('', 'live://1')).toEqual({ mid: 0, room_id: 'live://1', platform: 'admin', accepts: [] });
  });
  it('fills room_id into a JSON token unless given, and passes other text (a JWT) as is', () => {
    expect(tailToken('{"mid":5}', 'live://1')).toEqual({ mid: 5, room_id: 'live://1' });
    expect(tailToken('{"mid":5,"room_id":"x://y"}', 'live://1')).toEqual({ mid: 5, room_id: 'x://y' });
    expect(tailToken('eyJhbGciOi.x.y', 'live://1')).toBe('eyJhbGciOi.x.y');
    expect(() => tailToken('{nope', 'r')).toThrow();
  });
});
