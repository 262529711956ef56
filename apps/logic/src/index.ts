/**
 * apps/logic: the goim logic role (HTTP push/online/nodes API, gRPC `goim.logic.Logic` for
 * comets, authenticators, online aggregation, weighted node list).
 */
export { createLogic } from './logic.js';
export {
  logicConfigSchema,
  resolveLogicConfig,
  loadLogicConfig,
  parseLogicFlags,
  parseGoDuration,
  parseListenAddr,
  isDevelopmentEnv,
  DEFAULT_ONLINE_REFRESH_MS,
  DEFAULT_ONLINE_STALE_MS,
  DEFAULT_MAX_BODY_BYTES,
} from './config.js';
export { StaticCometSource, registryCometSource, eligibleComets } from './comets.js';
export { createAuthenticator, GoimJsonAuthenticator, JwtAuthenticator, WebhookAuthenticator } from './auth/index.js';
export { createReceiveSink, LogReceiveSink, WebhookReceiveSink, QueueReceiveSink, receiveJson } from './receive.js';
export { WeightedBalancer, computeWeight, roundHalfDown, MAX_NODES, MIN_WEIGHT, MAX_WEIGHT } from './balancer.js';
export { OnlineAggregator } from './online.js';
export { KafkaTopicPublisher } from './kafka-topic-publisher.js';
export { Pusher } from './push.js';
export { createLogicMetrics } from './metrics.js';
export { HttpCode } from './http/app.js';
export { AdminCode, mountAdminApi, parsePromCounters, redactSecrets } from './http/admin.js';
export { silentLogger } from './logger.js';
export { ConfigError, ConfigErrorCode, AuthError, AuthErrorCode, LogicError, LogicErrorCode } from './errors.js';
export type { Logic, LogicDeps, LogicAddresses } from './logic.js';
export type { LogicConfig, LogicConfigInput, LogicConfigSources, LogicFlags, ConfiguredInstance } from './config.js';
export type { CometSource, CometNode } from './comets.js';
export type { Authenticator, AuthContext, AuthIdentity, JwtAuthenticatorOptions, WebhookAuthenticatorOptions } from './auth/index.js';
export type { ReceiveSink, RawTopicPublisher } from './receive.js';
export type { KafkaTopicPublisherOptions } from './kafka-topic-publisher.js';
export type { BalancerNode, PickedNodes } from './balancer.js';
export type { OnlineAggregatorOptions, RoomTop } from './online.js';
export type { PushResult } from './push.js';
export type { LogicMetrics } from './metrics.js';
export type { Logger } from './logger.js';
export type { AdminApiOptions, AdminApiDeps, AdminCounters, AdminNode } from './http/admin.js';
