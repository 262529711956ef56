module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'discovery-client',
  // Gate enforced when jest runs with --coverage (needs GOIM_TEST_ETCD_URL and GOIM_TEST_REDIS_URL:
  // the adapters are covered by their integration specs).
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts', '!src/index.ts', '!src/testing-fixtures/**'],
  coverageThreshold: { global: { lines: 90, branches: 80, functions: 85, statements: 88 } },
};
