/**
 * Key → partition, compatible with sarama's default hash partitioner (spec §3.3), which goim's
 * Go logic uses: FNV-1a 32 of the key bytes, read as int32, `% partitions`, negated if negative.
 * Kept for goim compatibility: a Go logic and a TS logic put one room on the same partition.
 */

/** FNV-1a 32-bit hash of the UTF-8 bytes of `key`, as an unsigned number. */
export function fnv1a32(key: string | Uint8Array): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The partition sarama's hash partitioner picks for `key` among `partitions` partitions. */
export function keyPartition(key: string | Uint8Array, partitions: number): number {
  // `| 0` reads the hash as int32 like Go's int32(...); JS `%` truncates like Go's.
  const p = (fnv1a32(key) | 0) % partitions;
  return p < 0 ? -p : p;
}
