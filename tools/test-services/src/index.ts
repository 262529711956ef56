/**
 * Real Redis, Redis Cluster, etcd and Kafka servers for integration tests, started on free
 * loopback ports (used by `npm test` and the cli). Private tool, not published.
 */
export { TestServiceError } from './errors.js';
export { startRedis, startRedisCluster, redisCommand } from './redis.js';
export { startEtcd } from './etcd.js';
export { startKafka, createTopic, ensureKafkaJars, DEFAULT_KAFKA_VERSION } from './kafka.js';
export { startServices, parseServiceNames, SERVICE_NAMES } from './services.js';
export { ensureBinaries, which } from './binaries.js';
export { spawnService, waitReady, freePort, freePorts, makeTempDir, removeDir, tailFile, findRepoRoot } from './process.js';
export { summarizeJestResults, formatSummary } from './summary.js';
export type { StartedService, StartedRedis, StartedRedisCluster, StartRedisOptions } from './redis.js';
export type { StartedEtcd, StartEtcdOptions } from './etcd.js';
export type { StartedKafka, StartKafkaOptions } from './kafka.js';
export type { StartedServices, ServiceName } from './services.js';
export type { ServiceProcess, SpawnOptions } from './process.js';
export type { JestSummary, JestJson } from './summary.js';
