import { fnv1a32, keyPartition } from '@goim/queue';

// Expected values computed by hand (FNV-1a 32: offset basis 0x811c9dc5, prime 0x01000193), then
// read as int32, Go-style truncated `%`, negated if negative — sarama's default hash partitioner.
describe('keyPartition (sarama hash partitioner)', () => {
  it('hashes with FNV-1a 32 (published test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it.each([
    ['', 16, 11], // int32 -2128831035 % 16 = -11 → 11
    ['', 9, 6],
    ['a', 16, 4], // -468965076
    ['foobar', 16, 8], // -1080231576
    ['foobar', 9, 6],
    ['live://1000', 16, 12], // 1207214300 (positive)
    ['live://1000', 9, 2],
    ['5', 16, 0], // broadcast key: decimal operation
    ['key-abc', 9, 1],
    ['čaj', 16, 15], // UTF-8 bytes c4 8d 61 6a → 0xfa975fb1
  ])('puts %j among %i partitions on partition %i as sarama does', (key, n, want) => {
    expect(keyPartition(key, n)).toBe(want);
  });

  it('hashes raw bytes like the same UTF-8 string', () => {
    expect(keyPartition(Buffer.from('live://1000'), 16)).toBe(keyPartition('live://1000', 16));
  });
});
