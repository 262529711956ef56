import { z } from 'zod';
import { goDuration, parseGoDuration, parseGoDurationMs } from './index.js';

describe('parseGoDuration', () => {
  it('parses Go duration strings into exact milliseconds', () => {
    expect(parseGoDuration('4m')).toBe(240_000);
    expect(parseGoDuration('200ms')).toBe(200);
    expect(parseGoDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseGoDuration('1.5s')).toBe(1_500);
    expect(parseGoDuration(' 0 ')).toBe(0);
    expect(parseGoDuration('1500us')).toBe(1.5);
    expect(parseGoDuration('2µs')).toBe(0.002);
  });

  it('rejects what Go rejects: bare numbers, spaces inside, unknown units, empty', () => {
    for (const bad of ['5', '4 m', '1d', '', 's', '-1s']) expect(parseGoDuration(bad)).toBeUndefined();
  });

  it('parseGoDurationMs rounds to whole milliseconds', () => {
    expect(parseGoDurationMs('1500us')).toBe(2);
    expect(parseGoDurationMs('1m30s')).toBe(90_000);
    expect(parseGoDurationMs('nope')).toBeUndefined();
  });
});

describe('goDuration', () => {
  const issues = (schema: z.ZodType, v: unknown) => {
    const r = z.object({ d: schema }).safeParse({ d: v });
    return r.success ? r.data : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('takes numbers of ms or Go strings, and defaults when absent', () => {
    const d = goDuration(5_000, { examples: '"5s", "200ms"' });
    expect(issues(d, undefined)).toEqual({ d: 5_000 });
    expect(issues(d, 250)).toEqual({ d: 250 });
    expect(issues(d, '1m')).toEqual({ d: 60_000 });
    expect(issues(d, '1500us')).toEqual({ d: 2 });
  });

  it('names the bad value and the examples', () => {
    expect(issues(goDuration(1, { examples: '"1s", "200ms"' }), '1 sec')).toEqual(['d: not a duration: "1 sec" (use e.g. "1s", "200ms")']);
  });

  it('rejects negative numbers through the schema, or with the message when asked', () => {
    expect(issues(goDuration(1, { examples: 'x' }), -1)).toEqual(['d: Too small: expected number to be >=0']);
    expect(issues(goDuration(1, { examples: '"4m"', negative: 'message' }), -1)).toEqual(['d: not a duration: -1 (use e.g. "4m")']);
  });

  it('keeps fractional ms with round: false', () => {
    expect(issues(goDuration(1, { examples: 'x', round: false }), '1500us')).toEqual({ d: 1.5 });
  });

  it('has a number|string input, which the config reference renders as a duration', () => {
    const json = z.toJSONSchema(goDuration(1, { examples: 'x' }), { io: 'input' }) as { anyOf?: Array<{ type?: string }> };
    expect(json.anyOf?.map((a) => a.type)).toEqual(['number', 'string']);
  });
});
