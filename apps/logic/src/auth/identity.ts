/** Checks of identity fields shared by the authenticators. */
import { AuthError, AuthErrorCode } from '../errors.js';
import type { AuthIdentity } from './types.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Builds an identity from a JSON-like object with goim's field types (Go's json decoding
 * errors on a mistyped field; so do we). `names` maps the identity fields to property names.
 */
export function identityFrom(
  obj: Record<string, unknown>,
  names: { mid: string; key: string; roomID: string; accepts: string; platform?: string },
  what: string,
  code: AuthErrorCode = AuthErrorCode.BAD_TOKEN,
): AuthIdentity {
  const bad = (field: string, want: string) => new AuthError(code, `${what}: "${field}" must be ${want}`);
  const midRaw = obj[names.mid];
  let mid = 0;
  if (midRaw !== undefined && midRaw !== null) {
    if (typeof midRaw === 'number' && Number.isSafeInteger(midRaw)) mid = midRaw;
    else if (typeof midRaw === 'string' && /^-?\d+$/.test(midRaw) && Number.isSafeInteger(Number(midRaw))) mid = Number(midRaw);
    else throw bad(names.mid, 'an integer');
    if (mid < 0) throw bad(names.mid, 'a non-negative integer');
  }
  const str = (field: string): string => {
    const v = obj[field];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw bad(field, 'a string');
    return v;
  };
  const acceptsRaw = obj[names.accepts];
  let accepts: number[] = [];
  if (acceptsRaw !== undefined && acceptsRaw !== null) {
    if (!Array.isArray(acceptsRaw) || !acceptsRaw.every((n) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX)) {
      throw bad(names.accepts, 'an array of int32');
    }
    accepts = acceptsRaw as number[];
  }
  return { mid, key: str(names.key), roomID: str(names.roomID), accepts, platform: names.platform ? str(names.platform) : '' };
}
