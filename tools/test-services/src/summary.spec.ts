import { formatSummary, summarizeJestResults, type JestJson } from './summary.js';

describe('summarizeJestResults', () => {
  it('counts passed and failed tests and names the failures relative to the root', () => {
    const json: JestJson = {
      testResults: [
        {
          name: '/repo/libs/a/src/a.spec.ts',
          status: 'failed',
          assertionResults: [
            { fullName: 'a works', status: 'passed' },
            { fullName: 'a breaks', status: 'failed' },
            { fullName: 'a pending', status: 'pending' },
          ],
        },
        { name: '/repo/libs/b/src/b.spec.ts', status: 'passed', assertionResults: [{ fullName: 'b', status: 'passed' }] },
      ],
    };
    expect(summarizeJestResults(json, '/repo')).toEqual({ passed: 2, failed: 1, failures: ['libs/a/src/a.spec.ts › a breaks'] });
  });

  it('counts a suite that failed without running a test as one failure', () => {
    const json: JestJson = {
      testResults: [
        {
          name: '/repo/libs/c/src/c.spec.ts',
          status: 'failed',
          message: '\u001b[1m● Test suite failed to run\u001b[22m\n\n    Cannot find module "./nope"\n',
          assertionResults: [],
        },
      ],
    };
    const s = summarizeJestResults(json, '/repo');
    expect(s.passed).toBe(0);
    expect(s.failed).toBe(1);
    expect(s.failures).toEqual(['libs/c/src/c.spec.ts (suite failed: Cannot find module "./nope")']);
  });

  it('formats the line CI reads', () => {
    expect(formatSummary({ passed: 12, failed: 0 })).toBe('12 passed, 0 failed');
  });
});
