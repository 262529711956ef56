/**
 * goim's token: JSON `{"mid","key","room_id","platform","accepts"}` (spec §1.4), trusted as
 * sent — any client can claim any mid. Kept for goim compatibility and development.
 */
import { AuthError, AuthErrorCode } from '../errors.js';
import { identityFrom } from './identity.js';
import type { AuthContext, AuthIdentity, Authenticator } from './types.js';

const NAMES = { mid: 'mid', key: 'key', roomID: 'room_id', accepts: 'accepts', platform: 'platform' };

export class GoimJsonAuthenticator implements Authenticator {
  readonly type = 'goim-json';

  async authenticate(token: Uint8Array, _context?: AuthContext): Promise<AuthIdentity> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(token.buffer, token.byteOffset, token.byteLength).toString('utf8'));
    } catch (err) {
      throw new AuthError(AuthErrorCode.BAD_TOKEN, 'auth token is not valid JSON', { cause: err });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AuthError(AuthErrorCode.BAD_TOKEN, 'auth token must be a JSON object');
    }
    return identityFrom(parsed as Record<string, unknown>, NAMES, 'auth token');
  }
}
