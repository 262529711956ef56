/**
 * Webhook authenticator: logic asks the business backend. It POSTs JSON
 * `{"token": <token as UTF-8>, "server", "cookie"}` to the configured URL:
 * - 2xx with JSON `{"mid","key","room_id","accepts"}` (all optional) accepts the connection;
 * - 401 or 403 refuses it (an optional JSON `{"reason"}` is passed on to the client);
 * - anything else, a timeout or an unreachable backend is a backend failure (UNAVAILABLE).
 */
import { AuthError, AuthErrorCode } from '../errors.js';
import { identityFrom } from './identity.js';
import type { AuthContext, AuthIdentity, Authenticator } from './types.js';

export interface WebhookAuthenticatorOptions {
  url: string;
  /** Request timeout in ms; default 2000. */
  timeoutMs?: number;
  /** Extra request headers (e.g. a shared secret). */
  headers?: Record<string, string>;
}

const NAMES = { mid: 'mid', key: 'key', roomID: 'room_id', accepts: 'accepts', platform: 'platform' };

export class WebhookAuthenticator implements Authenticator {
  readonly type = 'webhook';

  constructor(private readonly options: WebhookAuthenticatorOptions) {
    if (!/^https?:\/\//.test(options.url)) throw new TypeError('WebhookAuthenticator needs an http(s) `url`');
  }

  async authenticate(token: Uint8Array, context: AuthContext): Promise<AuthIdentity> {
    const body = JSON.stringify({
      token: Buffer.from(token.buffer, token.byteOffset, token.byteLength).toString('utf8'),
      server: context.server,
      cookie: context.cookie,
    });
    let res: Response;
    try {
      res = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.options.headers },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 2_000),
      });
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? 'timed out' : `unreachable (${causeText(err)})`;
      throw new AuthError(AuthErrorCode.BACKEND_UNAVAILABLE, `auth webhook ${why}`, { cause: err });
    }
    const text = await res.text().catch(() => '');
    if (res.status === 401 || res.status === 403) {
      const reason = parseObject(text)?.reason;
      throw new AuthError(AuthErrorCode.REFUSED, typeof reason === 'string' && reason ? reason : `auth webhook refused (HTTP ${res.status})`);
    }
    if (!res.ok) throw new AuthError(AuthErrorCode.BACKEND_UNAVAILABLE, `auth webhook answered HTTP ${res.status}`);
    const obj = parseObject(text);
    if (!obj) throw new AuthError(AuthErrorCode.BACKEND_UNAVAILABLE, 'auth webhook answered a body that is not a JSON object');
    return identityFrom(obj, NAMES, 'auth webhook reply', AuthErrorCode.BACKEND_UNAVAILABLE);
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function causeText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
