/**
 * JWT authenticator: the op-7 body is a compact JWS (HS*, RS*, ES*, PS*) checked with
 * `jose`; expiry and not-before are honoured, issuer/audience when configured. Claims map to
 * the session: `mid` (or an integer `sub`), `key`, `room_id`, `accepts` (names configurable).
 */
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AuthError, AuthErrorCode } from '../errors.js';
import { identityFrom } from './identity.js';
import type { AuthContext, AuthIdentity, Authenticator } from './types.js';

export interface JwtAuthenticatorOptions {
  /** HMAC secret for HS* algorithms. */
  secret?: string;
  /** PEM public key (SPKI or certificate) for RS*, ES*, PS*. */
  publicKey?: string;
  /** Allowed algorithms; default HS256 with a secret, RS256 + ES256 with a public key. */
  algorithms?: string[];
  issuer?: string;
  audience?: string;
  /** Allowed clock skew in seconds. */
  clockToleranceSec?: number;
  /** Claim names; defaults mid, key, room_id, accepts. */
  claims?: { mid?: string; key?: string; roomID?: string; accepts?: string };
  /** Clock (ms) used for exp/nbf; default Date.now. */
  now?: () => number;
}

export class JwtAuthenticator implements Authenticator {
  readonly type = 'jwt';
  private readonly algorithms: string[];
  private readonly getKey: JWTVerifyGetKey;
  private readonly names: { mid: string; key: string; roomID: string; accepts: string };

  /** Throws `TypeError` naming the property when no usable key is configured. */
  constructor(private readonly options: JwtAuthenticatorOptions) {
    const secret: KeyObject | undefined = options.secret ? createSecretKey(Buffer.from(options.secret, 'utf8')) : undefined;
    const publicKey: KeyObject | undefined = options.publicKey ? createPublicKey(options.publicKey) : undefined;
    if (!secret && !publicKey) throw new TypeError('JwtAuthenticator needs `secret` or `publicKey`');
    this.algorithms =
      options.algorithms && options.algorithms.length > 0
        ? options.algorithms
        : [...(secret ? ['HS256'] : []), ...(publicKey ? ['RS256', 'ES256'] : [])];
    for (const alg of this.algorithms) {
      if (alg.startsWith('HS') && !secret) throw new TypeError(`algorithm ${alg} needs \`secret\``);
      if (!alg.startsWith('HS') && !publicKey) throw new TypeError(`algorithm ${alg} needs \`publicKey\``);
    }
    // Pick the key by the header's algorithm family, so an HS token can never be checked
    // against a public key (the classic algorithm-confusion attack); jose checks again.
    this.getKey = async (header) => {
      const key = header.alg.startsWith('HS') ? secret : publicKey;
      if (!key) throw new AuthError(AuthErrorCode.REFUSED, `JWT algorithm ${header.alg} is not accepted`);
      return key;
    };
    const c = options.claims ?? {};
    this.names = { mid: c.mid ?? 'mid', key: c.key ?? 'key', roomID: c.roomID ?? 'room_id', accepts: c.accepts ?? 'accepts' };
  }

  async authenticate(token: Uint8Array, _context?: AuthContext): Promise<AuthIdentity> {
    const jwt = Buffer.from(token.buffer, token.byteOffset, token.byteLength).toString('utf8').trim();
    if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(jwt)) throw new AuthError(AuthErrorCode.BAD_TOKEN, 'auth token is not a compact JWT');
    let payload: Record<string, unknown>;
    try {
      const now = this.options.now;
      ({ payload } = await jwtVerify(jwt, this.getKey, {
        algorithms: this.algorithms,
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience ? { audience: this.options.audience } : {}),
        clockTolerance: this.options.clockToleranceSec ?? 0,
        ...(now ? { currentDate: new Date(now()) } : {}),
      }));
    } catch (err) {
      if (err instanceof AuthError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new AuthError(AuthErrorCode.REFUSED, 'JWT expired', { cause: err });
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
        throw new AuthError(AuthErrorCode.REFUSED, 'JWT signature verification failed', { cause: err });
      }
      if (err instanceof joseErrors.JOSEError) {
        throw new AuthError(AuthErrorCode.REFUSED, `JWT refused: ${err.message}`, { cause: err });
      }
      throw new AuthError(AuthErrorCode.BAD_TOKEN, `JWT unreadable: ${(err as Error).message}`, { cause: err });
    }
    const claims = { ...payload };
    if (claims[this.names.mid] === undefined && typeof payload.sub === 'string' && /^\d+$/.test(payload.sub)) {
      claims[this.names.mid] = payload.sub;
    }
    return identityFrom(claims, this.names, 'JWT claims', AuthErrorCode.REFUSED);
  }
}
