import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryError, RegistryErrorCode } from './index.js';

const DOC = join(__dirname, '..', '..', '..', 'docs', 'errors.md');

/** The codes in the first column of the @goim/discovery-client section's table. */
function documentedCodes(): string[] {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf('## @goim/discovery-client');
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\|\s*`(GOIM_ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]!);
}

describe('docs/errors.md, discovery-client section', () => {
  it('lists exactly the exported RegistryErrorCode values, once each', () => {
    const documented = documentedCodes();
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
