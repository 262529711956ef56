import { RegistryError, RegistryErrorCode } from './index.js';
import { documentedErrorCodes } from '@goim/testkit';

describe('docs/errors.md, discovery-client section', () => {
  it('lists exactly the exported RegistryErrorCode values, once each', () => {
    const documented = documentedErrorCodes('@goim/discovery-client');
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.values(RegistryErrorCode).sort());
  });

  it('uses only unique GOIM_ERR_REGISTRY_* codes', () => {
    const values = Object.values(RegistryErrorCode);
    expect(values.every((c) => /^GOIM_ERR_REGISTRY_[A-Z_]+$/.test(c))).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });

  it('gives RegistryError a name, the code and the cause', () => {
    const cause = new Error('inner');
    const err = new RegistryError(RegistryErrorCode.BACKEND, 'down', { cause });
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.code, err.cause]).toEqual(['RegistryError', 'GOIM_ERR_REGISTRY_BACKEND', cause]);
  });
});
