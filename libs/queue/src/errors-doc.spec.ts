import { QueueError, QueueErrorCode } from '@goim/queue';
import { documentedErrorCodes } from '@goim/testkit';

describe('docs/errors.md, queue section', () => {
  it('lists exactly the exported QueueErrorCode values, once each', () => {
    const documented = documentedErrorCodes('@goim/queue');
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
