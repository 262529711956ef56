export type { SessionStore, ServerOnline } from './session-store.js';
