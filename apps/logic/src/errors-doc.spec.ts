import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthError, AuthErrorCode, ConfigErrorCode, LogicError, LogicErrorCode } from './index.js';

const DOC = join(__dirname, '..', '..', '..', 'docs', 'errors.md');

/** The codes in the first column of the apps/logic section's table. */
function documentedCodes(): string[] {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf('## apps/logic');
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\|\s*`(GOIM_ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]!);
}

const exported = [...Object.values(ConfigErrorCode), ...Object.values(AuthErrorCode), ...Object.values(LogicErrorCode)];

describe('docs/errors.md, apps/logic section', () => {
  it('lists exactly the exported codes, once each', () => {
    const documented = documentedCodes();
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
