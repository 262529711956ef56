module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'bucket',
  // Pure code: a high gate (STYLE §10), enforced when jest runs with --coverage.
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts'],
  coverageThreshold: { global: { lines: 95, branches: 90, functions: 95, statements: 95 } },
};
