export { version } from './version.js';
export { RegistryError, RegistryErrorCode } from './errors.js';
export {
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_DISCONNECTED_POLL_MS,
  DEFAULT_ENV,
  DEFAULT_ETCD_PREFIX,
  DEFAULT_REDIS_POLL_INTERVAL_MS,
  DEFAULT_REDIS_PREFIX,
  DEFAULT_REGRANT_DELAY_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  DEFAULT_TTL_SEC,
  etcdRegistryOptionsSchema,
  instanceConfigSchema,
  redisRegistryOptionsSchema,
  registryConfigSchema,
  staticRegistryOptionsSchema,
} from './options.js';
export { buildSnapshot, instanceAddr } from './instance.js';
export { StaticRegistry } from './static-registry.js';
export { RedisRegistry } from './redis-registry.js';
export { EtcdRegistry } from './etcd-registry.js';
export { createRegistry } from './create-registry.js';

export type { Instance, InstanceInput, InstanceSnapshot, Registration, Registry, SnapshotListener, Watch } from './registry.js';
export type { InstanceConfig, RegistryConfig, RegistryConfigInput } from './options.js';
export type { RegistryLogger } from './logger.js';
export type { StaticRegistryOptions } from './static-registry.js';
export type { RedisRegistryClient, RedisRegistryOptions } from './redis-registry.js';
export type { EtcdRegistryOptions } from './etcd-registry.js';
export type { CreateRegistryDeps } from './create-registry.js';
