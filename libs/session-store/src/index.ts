export { version } from './version.js';
export { SessionStoreError, SessionStoreErrorCode } from './errors.js';
export {
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
  DEFAULT_REDIS_MAX_RETRIES_PER_REQUEST,
  DEFAULT_SESSION_TTL_SEC,
  OL_SHARDS,
  memorySessionStoreOptionsSchema,
  redisSessionStoreOptionsSchema,
  sessionTtlSecSchema,
} from './options.js';
export { MemorySessionStore } from './memory-session-store.js';
export { RedisSessionStore } from './redis-session-store.js';

export type { SessionStore, ServerOnline } from './session-store.js';
export type { RedisSessionStoreConfig, SessionStoreLogger } from './options.js';
export type { MemorySessionStoreOptions } from './memory-session-store.js';
export type { RedisSessionStoreClient, RedisSessionStoreOptions } from './redis-session-store.js';
