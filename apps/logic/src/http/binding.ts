/**
 * Query binding with gin 1.7's rules (spec §3.1), so goim callers get the same answers:
 * slices come from repeated parameters (`keys=a&keys=b`), a scalar takes the first value,
 * integers parse like Go's `strconv.ParseInt` (base 10, optional sign, range-checked, so
 * `mids=1,2` fails), an empty integer reads as 0, and `required` rejects zero values.
 * Error texts copy gin's/validator's so scripts matching them keep working.
 */

/** A field of a query struct: Go field name, form name, kind, `binding:"required"`. */
export interface FieldSpec {
  /** Go struct field name, used in validator messages (`Key: '.Type' …`). */
  field: string;
  /** Query parameter name. */
  form: string;
  kind: 'string' | 'int32' | 'int' | 'int64' | 'string[]' | 'int64[]';
  required?: boolean;
}

/** A binding or validation failure: HTTP 400, envelope code -400, gin's message. */
export class BindingError extends Error {
  override readonly name = 'BindingError';
}

const RANGES = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int: [-(2n ** 63n), 2n ** 63n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
} as const;

function parseGoInt(text: string, kind: 'int32' | 'int' | 'int64'): number {
  // gin maps an empty value to 0 before parsing.
  const s = text === '' ? '0' : text;
  if (!/^[+-]?\d+$/.test(s)) throw new BindingError(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const big = BigInt(s);
  const [min, max] = RANGES[kind];
  if (big < min || big > max) throw new BindingError(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  // JavaScript numbers hold integers exactly only up to 2^53 − 1 (an int64 mid beyond that
  // would silently change; Go peers never produce such mids in practice).
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new BindingError(`parsing ${JSON.stringify(s)}: integers beyond ±(2^53-1) are not supported`);
  }
  return Number(big);
}

function isZero(v: unknown): boolean {
  return v === 0 || v === '' || (Array.isArray(v) && v.length === 0);
}

/**
 * Binds `query` to the fields. Throws {@link BindingError} on the first parse error (as gin),
 * else on every failed `required` (validator messages joined by newlines).
 */
export function bindQuery(query: URLSearchParams, fields: readonly FieldSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const values = query.getAll(f.form);
    switch (f.kind) {
      case 'string':
        out[f.form] = values[0] ?? '';
        break;
      case 'int32':
      case 'int':
      case 'int64':
        out[f.form] = values.length ? parseGoInt(values[0]!, f.kind) : 0;
        break;
      case 'string[]':
        out[f.form] = values;
        break;
      case 'int64[]':
        out[f.form] = values.map((v) => parseGoInt(v, 'int64'));
        break;
    }
  }
  const failed = fields.filter((f) => f.required && isZero(out[f.form]));
  if (failed.length) {
    throw new BindingError(
      failed.map((f) => `Key: '.${f.field}' Error:Field validation for '${f.field}' failed on the 'required' tag`).join('\n'),
    );
  }
  return out;
}
