import { ensureBinaries, which } from './binaries.js';

describe('ensureBinaries', () => {
  const saved = process.env.GOIM_TEST_NO_INSTALL;
  beforeAll(() => {
    process.env.GOIM_TEST_NO_INSTALL = '1';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.GOIM_TEST_NO_INSTALL;
    else process.env.GOIM_TEST_NO_INSTALL = saved;
  });

  it('returns the path of binaries on PATH', async () => {
    const paths = await ensureBinaries(['sh']);
    expect(paths.sh).toBe(which('sh'));
    expect(paths.sh).toMatch(/\/sh$/);
  });

  it('fails with a typed error naming the package to install when installing is not allowed', async () => {
    await expect(ensureBinaries(['sh', 'goim-no-such-binary'])).rejects.toMatchObject({
      code: 'GOIM_ERR_TESTSVC_MISSING_BINARY',
      message: expect.stringContaining('apt-get install -y goim-no-such-binary'),
    });
  });
});
