/**
 * `@goim/queue/testing`: the PushQueue contract suite, for this package's adapters and for
 * third-party ones. Needs jest (imports `@jest/globals`).
 */
export { describePushQueueContract, contractMsg } from './push-queue-contract.js';
export type { PushQueueContractOptions, PushQueueContractSettings } from './push-queue-contract.js';
