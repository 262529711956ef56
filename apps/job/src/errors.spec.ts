import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@goim/testkit';
import { ConfigErrorCode, JobErrorCode } from './errors.js';

describe('job error codes', () => {
  it('match the apps/job section of docs/errors.md', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/errors.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## apps/job'));
    const end = section.indexOf('\n## ', 5);
    const documented = [...(end > 0 ? section.slice(0, end) : section).matchAll(/^\| `(GOIM_ERR_[A-Z_]+)`/gm)].map((m) => m[1]).sort();
    const exported = [...Object.values(ConfigErrorCode), ...Object.values(JobErrorCode)].sort();
    expect(documented).toEqual(exported);
  });
});
