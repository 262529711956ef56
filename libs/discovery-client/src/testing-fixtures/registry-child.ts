/**
 * A process that registers one instance and then idles until it is killed. Specs start it
 * with tsx and SIGKILL it, to prove that an instance whose process dies without cancelling
 * disappears by TTL alone. Configured by argv[2], a JSON object:
 *   { backend: 'etcd' | 'redis', url?, clusterNodes? (redis), env, ttlSec, keyPrefix, hostname }
 * Prints `registered` on stdout once the instance is written.
 */
import { EtcdRegistry } from '../etcd-registry.js';
import { RedisRegistry } from '../redis-registry.js';
import type { Registry } from '../registry.js';

interface ChildConfig {
  backend: 'etcd' | 'redis';
  url?: string;
  clusterNodes?: string;
  env: string;
  ttlSec: number;
  keyPrefix: string;
  hostname: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const common = { env: config.env, ttlSec: config.ttlSec, keyPrefix: config.keyPrefix };
const registry: Registry =
  config.backend === 'etcd'
    ? new EtcdRegistry({ hosts: config.url!, ...common })
    : new RedisRegistry({ ...(config.clusterNodes !== undefined ? { clusterNodes: config.clusterNodes } : { url: config.url! }), ...common });

registry
  .register({
    region: 'sh',
    zone: 'sh001',
    appid: 'goim.comet',
    hostname: config.hostname,
    addrs: ['grpc://127.0.0.1:3109'],
    version: 'child',
    metadata: { weight: '10', offline: 'false' },
  })
  .then(
    () => {
      process.stdout.write('registered\n');
      // Stay alive (renewing) until killed.
      setInterval(() => {}, 60_000);
    },
    (err: unknown) => {
      process.stderr.write(`register failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
