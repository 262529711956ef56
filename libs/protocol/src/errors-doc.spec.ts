import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtocolError, ProtocolErrorCode } from './index.js';

const DOC = join(__dirname, '..', '..', '..', 'docs', 'errors.md');

/** The codes in the first column of the @goim/protocol section's table. */
function documentedCodes(): string[] {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf('## @goim/protocol');
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\|\s*`(GOIM_ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]!);
}

describe('docs/errors.md, protocol section', () => {
  it('lists exactly the exported ProtocolErrorCode values, once each', () => {
    const documented = documentedCodes();
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.values(ProtocolErrorCode).sort());
  });

  it('uses only GOIM_ERR_PROTOCOL_* codes that are unique', () => {
    const values = Object.values(ProtocolErrorCode);
    expect(values.every((c) => /^GOIM_ERR_PROTOCOL_[A-Z_]+$/.test(c))).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });

  it('gives ProtocolError a name, the code, the op-6 disconnect code and the cause', () => {
    const cause = new Error('inner');
    const err = new ProtocolError(ProtocolErrorCode.BAD_JSON, 'bad', { cause });
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.code, err.disconnectCode, err.cause]).toEqual(['ProtocolError', 'GOIM_ERR_PROTOCOL_BAD_JSON', 3501, cause]);
  });
});
