import { ProtocolError, ProtocolErrorCode } from './index.js';
import { documentedErrorCodes } from '@goim/testkit';

describe('docs/errors.md, protocol section', () => {
  it('lists exactly the exported ProtocolErrorCode values, once each', () => {
    const documented = documentedErrorCodes('@goim/protocol');
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
