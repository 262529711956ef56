import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '../../..');

describe('examples/tcp-gateway.ts (a custom gateway embedding @goim/bucket)', () => {
  it('runs end to end: two TCP clients in one room each receive the single room push', async () => {
    const { stdout } = await run(process.execPath, ['--conditions=@goim/source', '--import', 'tsx', 'libs/bucket/examples/tcp-gateway.ts'], {
      cwd: ROOT,
      timeout: 60_000,
    });
    expect(stdout).toContain('client 1: op 1000 body hello lobby');
    expect(stdout).toContain('client 2: op 1000 body hello lobby');
    expect(stdout).toMatch(/delivered=2 /);
  }, 70_000);
});
