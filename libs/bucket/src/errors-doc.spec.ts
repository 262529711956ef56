import { BucketError, BucketErrorCode } from './index.js';
import { documentedErrorCodes } from '@goim/testkit';

describe('docs/errors.md, bucket section', () => {
  it('lists exactly the exported BucketErrorCode values, once each', () => {
    const documented = documentedErrorCodes('@goim/bucket');
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.values(BucketErrorCode).sort());
  });

  it('uses only unique GOIM_ERR_BUCKET_* codes', () => {
    const values = Object.values(BucketErrorCode);
    expect(values.every((c) => /^GOIM_ERR_BUCKET_[A-Z_]+$/.test(c))).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });

  it('gives BucketError a name, the code and the cause', () => {
    const cause = new Error('inner');
    const err = new BucketError(BucketErrorCode.INVALID_ARGUMENT, 'bad', { cause });
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.code, err.cause]).toEqual(['BucketError', 'GOIM_ERR_BUCKET_INVALID_ARGUMENT', cause]);
  });
});
