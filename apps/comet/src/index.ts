/**
 * apps/comet — the goim v2 connection server (TCP + WebSocket + WSS, gRPC goim.comet.Comet).
 * `createComet(config, deps)` is what main.ts and apps/standalone call.
 */
export { createComet, rawBodyOf } from './comet.js';
export {
  cometConfigSchema,
  resolveCometConfig,
  loadCometConfig,
  parseCometFlags,
  parseGoDuration,
  parseBind,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_WRITE_TIMEOUT_MS,
  DEFAULT_ONLINE_REPORT_MS,
  DEFAULT_DRAIN_MS,
  DEFAULT_METADATA_INTERVAL_MS,
} from './config.js';
export { ConfigError, ConfigErrorCode, CometError, CometErrorCode } from './errors.js';
export { RecentIds } from './dedupe.js';
export { FollowingLogicClient, followLogic, registerComet, cometMetadata } from './registration.js';
export type { Comet, CometDeps, CometAddresses, BoundAddress } from './comet.js';
export type { CometConfig, CometConfigInput, CometConfigSources, CometFlags } from './config.js';
export type { CometMetrics } from './metrics.js';
export type { Logger } from './logger.js';
export type { CometIdentity, CometLoad, CometRegistration, FollowingLogicClientOptions, LogicClientFactory } from './registration.js';
