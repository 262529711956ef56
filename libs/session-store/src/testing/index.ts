/** `@goim/session-store/testing`: the contract suite every SessionStore adapter passes. */
export { describeSessionStoreContract, describeSharedSessionStoreContract } from './session-store-contract.js';
export type {
  SessionStoreContractFactory,
  SessionStoreContractOptions,
  SessionStoreContractSubject,
  SharedSessionStoreContractSubject,
} from './session-store-contract.js';
