/**
 * @goim/app-kit: the shared plumbing of goim-ts apps (comet, logic, job): config sources,
 * Go durations, config errors, the logger shape and the process lifecycle of `main.ts`.
 */
export { CodedError, ConfigError, ConfigErrorCode } from './errors.js';
export { parseGoDuration, parseGoDurationMs, goDuration } from './duration.js';
export {
  objectShape,
  layerConfigSources,
  normaliseKeys,
  mergeConfig,
  deepFreeze,
  parseTomlConfig,
  readConfigFile,
  parseConfig,
  isTrue,
  splitList,
  parseIntValue,
  parseGoimFlags,
  parseBind,
} from './config-sources.js';
export { silentLogger } from './logger.js';
export { advertiseHost, within, whileWaiting, handleShutdownSignals, runMain } from './lifecycle.js';
export type { GoDurationOptions } from './duration.js';
export type { ConfigShape, ConfigSources, ConfigLayers, GoimFlagSpec } from './config-sources.js';
export type { Logger } from './logger.js';
export type { WithinOptions, LifecycleProcess, ShutdownOptions, ShutdownHandle } from './lifecycle.js';
