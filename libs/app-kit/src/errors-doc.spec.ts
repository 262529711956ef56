import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ConfigErrorCode } from './index.js';

const DOC = join(__dirname, '..', '..', '..', 'docs', 'errors.md');

/** The codes in the first column of the @goim/app-kit section's table. */
function documentedCodes(): string[] {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf('## @goim/app-kit');
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\|\s*`(GOIM_ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]!);
}

describe('docs/errors.md, app-kit section', () => {
  it('lists exactly the exported ConfigErrorCode values, once each', () => {
    const documented = documentedCodes();
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
