import { AuthErrorCode } from '../errors.js';
import { GoimJsonAuthenticator } from './goim-json.js';

const ctx = { server: 'comet-1', cookie: '' };
const tok = (s: string) => Buffer.from(s);

describe('GoimJsonAuthenticator', () => {
  const auth = new GoimJsonAuthenticator();

  it('reads goim token JSON fields', async () => {
    await expect(
      auth.authenticate(tok('{"mid":123,"key":"k1","room_id":"live://1000","platform":"web","accepts":[1000,1001]}'), ctx),
    ).resolves.toEqual({ mid: 123, key: 'k1', roomID: 'live://1000', accepts: [1000, 1001], platform: 'web' });
  });

  it('treats missing fields as zero values (anonymous, no key, no room)', async () => {
    await expect(auth.authenticate(tok('{}'), ctx)).resolves.toEqual({ mid: 0, key: '', roomID: '', accepts: [], platform: '' });
  });

  it('rejects a token that is not JSON with GOIM_ERR_AUTH_BAD_TOKEN', async () => {
    await expect(auth.authenticate(tok('not json'), ctx)).rejects.toMatchObject({ code: AuthErrorCode.BAD_TOKEN });
  });

  it('rejects mistyped fields like Go json decoding', async () => {
    await expect(auth.authenticate(tok('{"mid":"abc"}'), ctx)).rejects.toMatchObject({ code: AuthErrorCode.BAD_TOKEN, message: expect.stringContaining('"mid"') });
    await expect(auth.authenticate(tok('{"accepts":[1.5]}'), ctx)).rejects.toMatchObject({ code: AuthErrorCode.BAD_TOKEN });
    await expect(auth.authenticate(tok('{"room_id":5}'), ctx)).rejects.toMatchObject({ code: AuthErrorCode.BAD_TOKEN });
    await expect(auth.authenticate(tok('[1]'), ctx)).rejects.toMatchObject({ code: AuthErrorCode.BAD_TOKEN });
  });
});
