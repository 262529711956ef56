import { SessionStoreError, SessionStoreErrorCode } from './index.js';
import { documentedErrorCodes } from '@goim/testkit';

describe('docs/errors.md, session-store section', () => {
  it('lists exactly the exported SessionStoreErrorCode values, once each', () => {
    const documented = documentedErrorCodes('@goim/session-store');
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.values(SessionStoreErrorCode).sort());
  });

  it('uses only unique GOIM_ERR_SESSION_STORE_* codes', () => {
    const values = Object.values(SessionStoreErrorCode);
    expect(values.every((c) => /^GOIM_ERR_SESSION_STORE_[A-Z_]+$/.test(c))).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });

  it('gives SessionStoreError a name, the code and the cause', () => {
    const cause = new Error('inner');
    const err = new SessionStoreError(SessionStoreErrorCode.BACKEND, 'down', { cause });
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.code, err.cause]).toEqual(['SessionStoreError', 'GOIM_ERR_SESSION_STORE_BACKEND', cause]);
  });
});
