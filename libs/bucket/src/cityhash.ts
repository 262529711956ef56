/**
 * CityHash32 from Google CityHash v1.1, written from the published algorithm description.
 *
 * goim picks a connection's bucket with `CityHash32(key) % 32` and the field of the Redis
 * `ol_<server>` hash that holds a room with `CityHash32(roomId) % 64`; the second must match
 * Go logic bit for bit, so this is byte-exact with the reference (see vectors/cityhash32.json).
 */

import { BucketError, BucketErrorCode } from './errors.js';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const M = 0xe6546b64;

const encoder = new TextEncoder();
/** Scratch buffer for string keys, so hashing an ASCII/UTF-8 key allocates nothing. */
let scratch = new Uint8Array(256);

function rotr(v: number, shift: number): number {
  return shift === 0 ? v : (v >>> shift) | (v << (32 - shift));
}

/** Final avalanche (MurmurHash3 fmix). */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** Mixes `a` into `h` (Murmur-style step). */
function mur(a: number, h: number): number {
  a = Math.imul(a, C1);
  a = rotr(a, 17);
  a = Math.imul(a, C2);
  h ^= a;
  h = rotr(h, 19);
  return (Math.imul(h, 5) + M) | 0;
}

function fetch32(s: Uint8Array, i: number): number {
  return s[i]! | (s[i + 1]! << 8) | (s[i + 2]! << 16) | (s[i + 3]! << 24);
}

function bswap32(x: number): number {
  return ((x >>> 24) | ((x >>> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24)) | 0;
}

function hashLen0to4(s: Uint8Array, len: number): number {
  let b = 0;
  let c = 9;
  for (let i = 0; i < len; i++) {
    // goim compatibility: the reference adds `signed char`s on x86 (0x80..0xff → −128..−1).
    const v = (s[i]! << 24) >> 24;
    b = (Math.imul(b, C1) + v) | 0;
    c ^= b;
  }
  return fmix(mur(b, mur(len, c)));
}

function hashLen5to12(s: Uint8Array, len: number): number {
  let a = len;
  let b = Math.imul(len, 5);
  let c = 9;
  const d = b;
  a = (a + fetch32(s, 0)) | 0;
  b = (b + fetch32(s, len - 4)) | 0;
  c = (c + fetch32(s, (len >>> 1) & 4)) | 0;
  return fmix(mur(c, mur(b, mur(a, d))));
}

function hashLen13to24(s: Uint8Array, len: number): number {
  const a = fetch32(s, (len >>> 1) - 4);
  const b = fetch32(s, 4);
  const c = fetch32(s, len - 8);
  const d = fetch32(s, len >>> 1);
  const e = fetch32(s, 0);
  const f = fetch32(s, len - 4);
  return fmix(mur(f, mur(e, mur(d, mur(c, mur(b, mur(a, len)))))));
}

/** rotr(x * C1, 17) * C2, the per-word premix of the long-input path. */
function premix(x: number): number {
  return Math.imul(rotr(Math.imul(x, C1), 17), C2);
}

function hashBytes(s: Uint8Array, len: number): number {
  if (len <= 24) {
    return len <= 12 ? (len <= 4 ? hashLen0to4(s, len) : hashLen5to12(s, len)) : hashLen13to24(s, len);
  }
  let h = len;
  let g = Math.imul(C1, len);
  let f = g;
  let a0 = premix(fetch32(s, len - 4));
  let a1 = premix(fetch32(s, len - 8));
  let a2 = premix(fetch32(s, len - 16));
  let a3 = premix(fetch32(s, len - 12));
  let a4 = premix(fetch32(s, len - 20));
  h ^= a0;
  h = (Math.imul(rotr(h, 19), 5) + M) | 0;
  h ^= a2;
  h = (Math.imul(rotr(h, 19), 5) + M) | 0;
  g ^= a1;
  g = (Math.imul(rotr(g, 19), 5) + M) | 0;
  g ^= a3;
  g = (Math.imul(rotr(g, 19), 5) + M) | 0;
  f = (f + a4) | 0;
  f = (Math.imul(rotr(f, 19), 5) + M) | 0;
  let iters = Math.floor((len - 1) / 20);
  let p = 0;
  do {
    a0 = premix(fetch32(s, p));
    a1 = fetch32(s, p + 4);
    a2 = premix(fetch32(s, p + 8));
    a3 = premix(fetch32(s, p + 12));
    a4 = fetch32(s, p + 16);
    h ^= a0;
    h = (Math.imul(rotr(h, 18), 5) + M) | 0;
    f = (f + a1) | 0;
    f = Math.imul(rotr(f, 19), C1);
    g = (g + a2) | 0;
    g = (Math.imul(rotr(g, 18), 5) + M) | 0;
    h ^= (a3 + a1) | 0;
    h = (Math.imul(rotr(h, 19), 5) + M) | 0;
    g ^= a4;
    g = Math.imul(bswap32(g), 5);
    h = (h + Math.imul(a4, 5)) | 0;
    h = bswap32(h);
    f = (f + a0) | 0;
    // Rotate the three lanes: (f, h, g) ← (g, f, h).
    const t = f;
    f = g;
    g = h;
    h = t;
    p += 20;
  } while (--iters !== 0);
  g = Math.imul(rotr(g, 11), C1);
  g = Math.imul(rotr(g, 17), C1);
  f = Math.imul(rotr(f, 11), C1);
  f = Math.imul(rotr(f, 17), C1);
  h = rotr((h + g) | 0, 19);
  h = (Math.imul(h, 5) + M) | 0;
  h = Math.imul(rotr(h, 17), C1);
  h = rotr((h + f) | 0, 19);
  h = (Math.imul(h, 5) + M) | 0;
  h = Math.imul(rotr(h, 17), C1);
  return h;
}

/**
 * CityHash32 (Google CityHash v1.1) of `input` as an unsigned 32-bit integer.
 *
 * @throws nothing: any string or byte array is accepted.
 *
 * Strings are hashed as their UTF-8 bytes (as Go hashes `[]byte(key)`). Inputs of 1–4 bytes
 * use signed-char arithmetic like the C reference on x86 and goim's Go port.
 */
export function cityHash32(input: Uint8Array | string): number {
  if (typeof input !== 'string') return hashBytes(input, input.length) >>> 0;
  // A UTF-8 encoding takes at most 3 bytes per UTF-16 code unit.
  if (input.length * 3 > scratch.length) scratch = new Uint8Array(Math.max(input.length * 3, scratch.length * 2));
  const { written } = encoder.encodeInto(input, scratch);
  return hashBytes(scratch, written) >>> 0;
}

/**
 * The bucket (or shard) index of `key`: `cityHash32(key) % n`, as goim's comet bucket choice
 * (`n` = 32) and logic's `ol_` hash field (`n` = 64).
 */
export function bucketIndex(key: Uint8Array | string, n: number): number {
  if (!Number.isInteger(n) || n <= 0 || n > 0xffffffff) {
    throw new BucketError(BucketErrorCode.INVALID_ARGUMENT, `bucketIndex: \`n\` must be an integer in 1..2^32-1, got ${String(n)}`);
  }
  return cityHash32(key) % n;
}
