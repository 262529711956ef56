module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'protocol',
  // Pure codec: a high gate (STYLE §10), enforced when jest runs with --coverage (CI does).
  // Generated protobuf code is left out; GoimClient and the TCP transport are exercised over
  // real sockets by apps/standalone's specs, not by this project's.
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts', '!src/rpc/gen/**', '!src/client/**', '!src/node/**'],
  coverageThreshold: { global: { lines: 95, branches: 90, functions: 95, statements: 95 } },
};
