/** Builds the configured authenticator. */
import { readFileSync } from 'node:fs';
import { ConfigError, ConfigErrorCode } from '../errors.js';
import type { LogicConfig } from '../config.js';
import { GoimJsonAuthenticator } from './goim-json.js';
import { JwtAuthenticator } from './jwt.js';
import type { Authenticator } from './types.js';
import { WebhookAuthenticator } from './webhook.js';

export { GoimJsonAuthenticator } from './goim-json.js';
export { JwtAuthenticator } from './jwt.js';
export { WebhookAuthenticator } from './webhook.js';
export type { AuthContext, AuthIdentity, Authenticator } from './types.js';
export type { JwtAuthenticatorOptions } from './jwt.js';
export type { WebhookAuthenticatorOptions } from './webhook.js';

/** The authenticator `auth.type` names; throws {@link ConfigError} for unusable settings. */
export function createAuthenticator(auth: LogicConfig['auth']): Authenticator {
  try {
    switch (auth.type) {
      case 'goim-json':
        return new GoimJsonAuthenticator();
      case 'jwt': {
        const j = auth.jwt;
        let publicKey = j.publicKey;
        if (!publicKey && j.publicKeyFile) {
          try {
            publicKey = readFileSync(j.publicKeyFile, 'utf8');
          } catch (err) {
            throw new ConfigError(ConfigErrorCode.BAD_FILE, `cannot read auth.jwt.publicKeyFile ${j.publicKeyFile}: ${(err as Error).message}`, {
              cause: err,
            });
          }
        }
        return new JwtAuthenticator({
          secret: j.secret || undefined,
          publicKey: publicKey || undefined,
          algorithms: j.algorithms,
          issuer: j.issuer || undefined,
          audience: j.audience || undefined,
          clockToleranceSec: j.clockToleranceSec,
          claims: j.claims,
        });
      }
      case 'webhook':
        return new WebhookAuthenticator({ url: auth.webhook.url, timeoutMs: auth.webhook.timeout, headers: auth.webhook.headers });
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(ConfigErrorCode.INVALID, `auth.${auth.type}: ${(err as Error).message}`, { cause: err });
  }
}
