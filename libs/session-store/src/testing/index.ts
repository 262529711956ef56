/** `@goim/session-store/testing`: the contract suite every SessionStore adapter passes. */
export { describeSessionStoreContract } from './session-store-contract.js';
export type {
  SessionStoreContractFactory,
  SessionStoreContractOptions,
  SessionStoreContractSubject,
} from './session-store-contract.js';
