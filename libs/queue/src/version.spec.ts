import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { version } from '@goim/queue';

describe('@goim/queue version', () => {
  it('equals the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(version).toBe(pkg.version);
  });
});
