/**
 * apps/standalone: comet + logic + job in one process (the `npm start` default).
 */
export { createStandalone } from './standalone.js';
export { standaloneConfigSchema, resolveStandaloneConfig, DEFAULT_STANDALONE_PORTS } from './config.js';
export type { Standalone, StandaloneDeps, StandaloneAddresses, StandaloneLogger } from './standalone.js';
export type { StandaloneConfig, StandaloneConfigInput } from './config.js';
