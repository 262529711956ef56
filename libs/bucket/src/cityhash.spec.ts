import { createHash } from 'node:crypto';
import { loadVectors, hex } from '@goim/testkit';
import { cityHash32, bucketIndex, BucketError } from './index.js';

interface CityVector {
  input_hex: string;
  input_utf8?: string;
  length: number;
  hash: string;
  mod32: number;
  mod64: number;
  group: string;
  signed_char_sensitive?: boolean;
  wrong_unsigned_char_hash?: string;
}
interface CityFile {
  generator: { k0: string; size: number; sha256: string; first_32_bytes_hex: string };
  generated_vectors: { hash: string; mod32: number; mod64: number; length: number }[];
  vectors: CityVector[];
}

const file = loadVectors<CityFile>('cityhash32.json');
const h32 = (s: string): number => Number.parseInt(s.slice(2), 16);

/** Rebuilds city-test.cc's 1 MiB data buffer from the generator description. */
function generatorBuffer(): Uint8Array {
  const k0 = BigInt(file.generator.k0);
  const out = new Uint8Array(file.generator.size);
  let a = 9n;
  let b = 777n;
  for (let i = 0; i < out.length; i++) {
    a = BigInt.asUintN(64, a + b);
    b = BigInt.asUintN(64, b + a);
    a = BigInt.asUintN(64, (a ^ (a >> 41n)) * k0);
    b = BigInt.asUintN(64, (b ^ (b >> 41n)) * k0 + BigInt(i));
    out[i] = Number((b >> 37n) & 0xffn);
  }
  return out;
}

describe('cityHash32', () => {
  it('has vectors to check', () => {
    expect(file.vectors.length).toBeGreaterThan(300);
    expect(file.vectors.filter((v) => v.signed_char_sensitive).length).toBeGreaterThan(3);
  });

  it.each(file.vectors.map((v, i) => [i, v.group, v.length, v] as const))('matches vector %i (%s, %i bytes)', (_i, _g, _len, v) => {
    const bytes = hex(v.input_hex);
    expect(bytes.length).toBe(v.length);
    const h = cityHash32(bytes);
    expect(h).toBe(h32(v.hash));
    expect(h % 32).toBe(v.mod32);
    expect(h % 64).toBe(v.mod64);
    expect(bucketIndex(bytes, 32)).toBe(v.mod32);
    expect(bucketIndex(bytes, 64)).toBe(v.mod64);
    if (v.wrong_unsigned_char_hash) expect(h).not.toBe(h32(v.wrong_unsigned_char_hash));
  });

  it('hashes strings as their UTF-8 bytes', () => {
    const texts = file.vectors.filter((v) => v.input_utf8 !== undefined);
    expect(texts.some((v) => v.group === 'utf8')).toBe(true);
    for (const v of texts) {
      expect(cityHash32(v.input_utf8!)).toBe(h32(v.hash));
      expect(bucketIndex(v.input_utf8!, 64)).toBe(v.mod64);
    }
  });

  it('hashes a string longer than its scratch buffer', () => {
    const long = 'é'.repeat(5000) + 'x';
    expect(cityHash32(long)).toBe(cityHash32(new TextEncoder().encode(long)));
  });

  it('returns an unsigned 32-bit integer', () => {
    for (const v of file.vectors) {
      const h = cityHash32(hex(v.input_hex));
      expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
    }
  });

  it('matches row 299 (the 1 MiB generator buffer) after checking the buffer SHA-256', () => {
    const buf = generatorBuffer();
    expect(Buffer.from(buf.subarray(0, 32)).toString('hex')).toBe(file.generator.first_32_bytes_hex);
    expect(createHash('sha256').update(buf).digest('hex')).toBe(file.generator.sha256);
    const [row] = file.generated_vectors;
    expect(row!.length).toBe(buf.length);
    const h = cityHash32(buf);
    expect(h).toBe(h32(row!.hash));
    expect(h % 32).toBe(row!.mod32);
    expect(h % 64).toBe(row!.mod64);
  });
});

describe('bucketIndex', () => {
  it('is cityHash32(key) % n', () => {
    expect(bucketIndex('live://1000', 32)).toBe(11);
    expect(bucketIndex('live://1000', 64)).toBe(43);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects n = %p with GOIM_ERR_BUCKET_INVALID_ARGUMENT', (n) => {
    expect(() => bucketIndex('k', n)).toThrow(BucketError);
    try {
      bucketIndex('k', n);
    } catch (err) {
      expect((err as BucketError).code).toBe('GOIM_ERR_BUCKET_INVALID_ARGUMENT');
    }
  });
});
