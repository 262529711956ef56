import { ConfigError, ConfigErrorCode } from './index.js';
import { documentedErrorCodes } from '@goim/testkit';

describe('docs/errors.md, app-kit section', () => {
  it('lists exactly the exported ConfigErrorCode values, once each', () => {
    const documented = documentedErrorCodes('@goim/app-kit');
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.values(ConfigErrorCode).sort());
  });

  it('uses GOIM_ERR_CONFIG_* codes and gives ConfigError a name, the code and the cause', () => {
    expect(Object.values(ConfigErrorCode).every((c) => /^GOIM_ERR_CONFIG_[A-Z_]+$/.test(c))).toBe(true);
    const cause = new Error('inner');
    const err = new ConfigError(ConfigErrorCode.BAD_FILE, 'x', { cause });
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.code, err.cause]).toEqual(['ConfigError', 'GOIM_ERR_CONFIG_BAD_FILE', cause]);
  });
});
