import { AuthError, AuthErrorCode, ConfigErrorCode, LogicError, LogicErrorCode } from './index.js';
import { documentedErrorCodes } from '@goim/testkit';

const exported = [...Object.values(ConfigErrorCode), ...Object.values(AuthErrorCode), ...Object.values(LogicErrorCode)];

describe('docs/errors.md, apps/logic section', () => {
  it('lists exactly the exported codes, once each', () => {
    const documented = documentedErrorCodes('apps/logic');
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual([...exported].sort());
  });

  it('uses GOIM_ERR_<AREA>_<WHAT> codes', () => {
    expect(exported.every((c) => /^GOIM_ERR_(CONFIG|AUTH|LOGIC)_[A-Z_]+$/.test(c))).toBe(true);
  });

  it('gives errors a name, the code and the cause', () => {
    const cause = new Error('inner');
    const err = new LogicError(LogicErrorCode.BACKEND, 'down', { cause });
    expect([err.name, err.code, err.cause]).toEqual(['LogicError', 'GOIM_ERR_LOGIC_BACKEND', cause]);
    expect(new AuthError(AuthErrorCode.REFUSED, 'no').name).toBe('AuthError');
  });
});
