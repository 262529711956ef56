export type { Instance, InstanceSnapshot, Registration, Registry, Watch } from './registry.js';
