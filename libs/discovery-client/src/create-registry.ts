/**
 * `createRegistry(config)`: the one call apps make from main.ts to get the configured backend.
 */
import { EtcdRegistry } from './etcd-registry.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import type { RegistryLogger } from './logger.js';
import { registryConfigSchema, type RegistryConfigInput } from './options.js';
import { RedisRegistry } from './redis-registry.js';
import type { Registry } from './registry.js';
import { StaticRegistry } from './static-registry.js';

/** What `createRegistry` injects besides the config. */
export interface CreateRegistryDeps {
  logger?: RegistryLogger;
  /** Clock in ms (default `Date.now`), for latest_timestamp. */
  now?: () => number;
}

/**
 * Parses `config` with {@link registryConfigSchema} (defaults filled, unknown keys rejected)
 * and builds the backend it names. Bad config throws GOIM_ERR_REGISTRY_INVALID_OPTIONS naming
 * the property.
 */
export function createRegistry(config: RegistryConfigInput, deps: CreateRegistryDeps = {}): Registry {
  const parsed = registryConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new RegistryError(RegistryErrorCode.INVALID_OPTIONS, `discovery config \`${path}\`: ${issue.message}`);
  }
  const c = parsed.data;
  switch (c.type) {
    case 'static':
      return new StaticRegistry({ env: c.env, instances: c.instances, ...deps });
    case 'etcd':
      return new EtcdRegistry({
        env: c.env,
        hosts: c.hosts,
        ...(c.username !== undefined && c.password !== undefined ? { auth: { username: c.username, password: c.password } } : {}),
        keyPrefix: c.keyPrefix,
        ttlSec: c.ttlSec,
        callTimeoutMs: c.callTimeoutMs,
        attemptTimeoutMs: c.attemptTimeoutMs,
        retryMaxDelayMs: c.retryMaxDelayMs,
        ...deps,
      });
    case 'redis':
      return new RedisRegistry({
        env: c.env,
        // The schema let exactly one of the two through: a single Redis or a Cluster.
        ...(c.clusterNodes !== undefined ? { clusterNodes: c.clusterNodes } : { url: c.url! }),
        ...(c.password !== undefined ? { password: c.password } : {}),
        keyPrefix: c.keyPrefix,
        ttlSec: c.ttlSec,
        pollIntervalMs: c.pollIntervalMs,
        callTimeoutMs: c.callTimeoutMs,
        attemptTimeoutMs: c.attemptTimeoutMs,
        retryMaxDelayMs: c.retryMaxDelayMs,
        ...deps,
      });
  }
}
