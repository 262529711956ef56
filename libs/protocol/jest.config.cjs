module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'protocol',
  // Pure codec: a high gate (STYLE §10), enforced when jest runs with --coverage (CI does).
  // Generated protobuf code is left out; the Node TCP transport (a thin net.Socket adapter)
  // is exercised over real sockets by apps/standalone's specs.
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts', '!src/rpc/gen/**', '!src/node/**'],
  coverageThreshold: { global: { lines: 95, branches: 90, functions: 95, statements: 95 } },
};
