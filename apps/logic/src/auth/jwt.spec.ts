import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { AuthErrorCode } from '../errors.js';
import { JwtAuthenticator } from './jwt.js';

const ctx = { server: 'comet-1', cookie: '' };
const SECRET = 'test-secret-of-enough-length-0123456789';
const enc = (s: string) => Buffer.from(s);

function hs256(claims: Record<string, unknown>, secret = SECRET, exp: string | number = '1h') {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp).sign(Buffer.from(secret));
}

describe('JwtAuthenticator', () => {
  it('accepts a valid HS256 token and maps its claims', async () => {
    const auth = new JwtAuthenticator({ secret: SECRET });
    const jwt = await hs256({ mid: 42, key: 'dev-1', room_id: 'live://7', accepts: [1000] });
    await expect(auth.authenticate(enc(jwt), ctx)).resolves.toEqual({ mid: 42, key: 'dev-1', roomID: 'live://7', accepts: [1000], platform: '' });
  });

  it('takes mid from an integer sub when there is no mid claim', async () => {
    const auth = new JwtAuthenticator({ secret: SECRET });
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('77').setExpirationTime('1h').sign(Buffer.from(SECRET));
    await expect(auth.authenticate(enc(jwt), ctx)).resolves.toMatchObject({ mid: 77 });
  });

  it('refuses an expired token', async () => {
    const auth = new JwtAuthenticator({ secret: SECRET });
    const jwt = await hs256({ mid: 1 }, SECRET, Math.floor(Date.now() / 1000) - 60);
    await expect(auth.authenticate(enc(jwt), ctx)).rejects.toMatchObject({ code: AuthErrorCode.REFUSED, message: 'JWT expired' });
  });

  it('honours expiry against the injected clock', async () => {
    let now = Date.now();
    const auth = new JwtAuthenticator({ secret: SECRET, now: () => now });
    const jwt = await hs256({ mid: 1 }, SECRET, '10m');
    await expect(auth.authenticate(enc(jwt), ctx)).resolves.toMatchObject({ mid: 1 });
    now += 11 * 60_000;
    await expect(auth.authenticate(enc(jwt), ctx)).rejects.toMatchObject({ code: AuthErrorCode.REFUSED });
  });

  it('refuses a forged signature', async () => {
    const auth = new JwtAuthenticator({ secret: SECRET });
    const jwt = await hs256({ mid: 1 }, 'another-secret-of-enough-length-xyz');
    await expect(auth.authenticate(enc(jwt), ctx)).rejects.toMatchObject({
      code: AuthErrorCode.REFUSED,
      message: 'JWT signature verification failed',
    });
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const auth = new JwtAuthenticator({ secret: SECRET });
    const [h, , s] = (await hs256({ mid: 1 })).split('.');
    const payload = Buffer.from(JSON.stringify({ mid: 999, exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
    await expect(auth.authenticate(enc(`${h}.${payload}.${s}`), ctx)).rejects.toMatchObject({ code: AuthErrorCode.REFUSED });
  });

  it('refuses alg "none" and a non-JWT body', async () => {
    const auth = new JwtAuthenticator({ secret: SECRET });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"mid":1}').toString('base64url')}.`;
    await expect(auth.authenticate(enc(none), ctx)).rejects.toMatchObject({ code: AuthErrorCode.REFUSED });
    await expect(auth.authenticate(enc('{"mid":1}'), ctx)).rejects.toMatchObject({ code: AuthErrorCode.BAD_TOKEN });
  });

  it('verifies RS256 and ES256 with a PEM public key', async () => {
    for (const [alg, kp] of [
      ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
      ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ] as const) {
      const auth = new JwtAuthenticator({ publicKey: kp.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
      const jwt = await new SignJWT({ mid: 5, room_id: 'live://1' }).setProtectedHeader({ alg }).setExpirationTime('1h').sign(kp.privateKey);
      await expect(auth.authenticate(enc(jwt), ctx)).resolves.toMatchObject({ mid: 5, roomID: 'live://1' });
    }
  });

  it('refuses an HS256 token when only a public key is configured (no algorithm confusion)', async () => {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = kp.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const auth = new JwtAuthenticator({ publicKey: pem });
    const jwt = await hs256({ mid: 1 }, pem);
    await expect(auth.authenticate(enc(jwt), ctx)).rejects.toMatchObject({ code: AuthErrorCode.REFUSED });
  });

  it('checks issuer and audience when configured', async () => {
    const auth = new JwtAuthenticator({ secret: SECRET, issuer: 'backend', audience: 'goim' });
    const good = await new SignJWT({ mid: 1 }).setProtectedHeader({ alg: 'HS256' }).setIssuer('backend').setAudience('goim').setExpirationTime('1h').sign(Buffer.from(SECRET));
    const bad = await new SignJWT({ mid: 1 }).setProtectedHeader({ alg: 'HS256' }).setIssuer('other').setAudience('goim').setExpirationTime('1h').sign(Buffer.from(SECRET));
    await expect(auth.authenticate(enc(good), ctx)).resolves.toMatchObject({ mid: 1 });
    await expect(auth.authenticate(enc(bad), ctx)).rejects.toMatchObject({ code: AuthErrorCode.REFUSED });
  });

  it('refuses mistyped claims', async () => {
    const auth = new JwtAuthenticator({ secret: SECRET });
    const jwt = await hs256({ mid: 'abc' });
    await expect(auth.authenticate(enc(jwt), ctx)).rejects.toMatchObject({ code: AuthErrorCode.REFUSED });
  });

  it('throws TypeError at construction without a key', () => {
    expect(() => new JwtAuthenticator({})).toThrow(TypeError);
    expect(() => new JwtAuthenticator({ secret: SECRET, algorithms: ['RS256'] })).toThrow(/publicKey/);
  });
});
