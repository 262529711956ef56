import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueueError, QueueErrorCode } from '@goim/queue';

const DOC = join(__dirname, '..', '..', '..', 'docs', 'errors.md');

/** The codes in the first column of the @goim/queue section's table. */
function documentedCodes(): string[] {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf('## @goim/queue');
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\|\s*`(GOIM_ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]!);
}

describe('docs/errors.md, queue section', () => {
  it('lists exactly the exported QueueErrorCode values, once each', () => {
    const documented = documentedCodes();
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.values(QueueErrorCode).sort());
  });

  it('uses only unique GOIM_ERR_QUEUE_* codes', () => {
    const values = Object.values(QueueErrorCode);
    expect(values.every((c) => /^GOIM_ERR_QUEUE_[A-Z_]+$/.test(c))).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });

  it('gives QueueError a name, the code and the cause', () => {
    const cause = new Error('inner');
    const err = new QueueError(QueueErrorCode.FULL, 'full', { cause });
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.code, err.cause]).toEqual(['QueueError', 'GOIM_ERR_QUEUE_FULL', cause]);
  });
});
