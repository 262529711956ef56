/**
 * Authenticators turn the op-7 token a client sent into a session identity. Connect calls
 * the configured one; a refusal rejects Connect with gRPC UNAUTHENTICATED, which comet turns
 * into an op-6 reason before closing the client.
 */

/** The identity of an authenticated connection. */
export interface AuthIdentity {
  /** User id; 0 = anonymous. */
  mid: number;
  /** Connection key; '' lets logic generate a UUID v4. */
  key: string;
  /** Initial room (`type://id`); '' = none. */
  roomID: string;
  /** Initial op watch list. */
  accepts: number[];
  /** Client platform if known (goim parsed and ignored it). */
  platform: string;
}

/** What a comet told logic alongside the token. */
export interface AuthContext {
  /** The comet id. */
  server: string;
  /** goim's cookie field (unused by goim). */
  cookie: string;
}

export interface Authenticator {
  /** `goim-json`, `jwt` or `webhook`. */
  readonly type: string;
  /** Resolves the identity or rejects with an `AuthError`. */
  authenticate(token: Uint8Array, context: AuthContext): Promise<AuthIdentity>;
  /** Releases resources (none for the built-ins); safe to call twice. */
  close?(): Promise<void>;
}
