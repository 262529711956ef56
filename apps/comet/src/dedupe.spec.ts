import { RecentIds } from './dedupe.js';

describe('RecentIds', () => {
  it('remembers the last `capacity` ids and forgets the oldest first', () => {
    const r = new RecentIds(3);
    for (const id of ['a', 'b', 'c']) r.add(id);
    expect(['a', 'b', 'c'].map((id) => r.has(id))).toEqual([true, true, true]);
    r.add('d');
    expect(r.has('a')).toBe(false);
    expect(r.has('d')).toBe(true);
    expect(r.size).toBe(3);
  });

  it('never records the empty id and is a no-op with capacity 0', () => {
    const r = new RecentIds(2);
    r.add('');
    expect(r.has('')).toBe(false);
    const off = new RecentIds(0);
    off.add('x');
    expect(off.has('x')).toBe(false);
  });

  it('does not double-count a repeated add', () => {
    const r = new RecentIds(2);
    r.add('a');
    r.add('a');
    r.add('b');
    expect([r.has('a'), r.has('b')]).toEqual([true, true]);
  });
});
