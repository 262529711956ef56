/** Turns jest's `--json` output into the `N passed, N failed` line CI reads. */

/** The parts of jest's `--json` result we read. */
export interface JestJson {
  testResults: {
    name: string;
    status: string;
    message?: string;
    assertionResults: { fullName: string; status: string }[];
  }[];
}

export interface JestSummary {
  passed: number;
  failed: number;
  /** One line per failure: `file › test name`, or `file (suite failed: …)` for a suite that failed outside a test. */
  failures: string[];
}

/**
 * Counts passed and failed tests. A suite that failed without a failing test (syntax
 * error, throwing import, failing hook, no tests at all) counts as one failure, so a broken
 * file can never make the total look green.
 */
export function summarizeJestResults(json: JestJson, rootDir = ''): JestSummary {
  let passed = 0;
  let failed = 0;
  const failures: string[] = [];
  const rel = (p: string) => (rootDir && p.startsWith(rootDir) ? p.slice(rootDir.length).replace(/^[/\\]/, '') : p);
  for (const suite of json.testResults) {
    let suiteFailed = 0;
    for (const t of suite.assertionResults) {
      if (t.status === 'passed') passed++;
      else if (t.status === 'failed') {
        failed++;
        suiteFailed++;
        failures.push(`${rel(suite.name)} › ${t.fullName}`);
      }
    }
    if (suite.status === 'failed' && suiteFailed === 0) {
      failed++;
      // eslint-disable-next-line no-control-regex -- strips the ANSI colour codes jest puts in messages
      const first = (suite.message ?? '').replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('●'));
      failures.push(`${rel(suite.name)} (suite failed${first ? `: ${first.slice(0, 160)}` : ''})`);
    }
  }
  return { passed, failed, failures };
}

/** The final line CI reads. */
export function formatSummary(s: { passed: number; failed: number }): string {
  return `${s.passed} passed, ${s.failed} failed`;
}
