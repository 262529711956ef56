/**
 * @goim/cluster: a real goim-ts cluster on one machine (Redis, Kafka, etcd + N comets,
 * M logics, K jobs as separate processes) for end-to-end tests and local experiments.
 * Private tool, not published.
 */
export { startCluster, cometClientIp } from './cluster.js';
export { DEFAULT_TIMING, FAST_TIMING, cometToml, logicToml, jobToml } from './config-files.js';
export { FollowingClient } from './following-client.js';
export type { Cluster, ClusterOptions, ClusterProcess, RestartableRedis, Role } from './cluster.js';
export type { Backends, ClusterCommon, ClusterTiming } from './config-files.js';
export type { FollowingClientOptions } from './following-client.js';
