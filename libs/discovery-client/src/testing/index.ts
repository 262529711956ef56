/** `@goim/discovery-client/testing`: the contract suite every Registry adapter passes. */
export { describeRegistryContract } from './registry-contract.js';
export type {
  RegistryContractFactory,
  RegistryContractFactoryOptions,
  RegistryContractOptions,
  RegistryContractSubject,
} from './registry-contract.js';
