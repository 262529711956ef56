import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SessionStoreError, SessionStoreErrorCode } from './index.js';

const DOC = join(__dirname, '..', '..', '..', 'docs', 'errors.md');

/** The codes in the first column of the @goim/session-store section's table. */
function documentedCodes(): string[] {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf('## @goim/session-store');
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\|\s*`(GOIM_ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]!);
}

describe('docs/errors.md, session-store section', () => {
  it('lists exactly the exported SessionStoreErrorCode values, once each', () => {
    const documented = documentedCodes();
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
