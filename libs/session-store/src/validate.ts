/** Argument checks shared by every adapter, so they reject the same input the same way. */
import type { z } from 'zod';
import { SessionStoreError, SessionStoreErrorCode } from './errors.js';
import type { ServerOnline } from './session-store.js';

const INT32_MAX = 2_147_483_647;

function invalid(message: string): SessionStoreError {
  return new SessionStoreError(SessionStoreErrorCode.INVALID_ARGUMENT, message);
}

/** Formats a zod error as "prop: message; …" for SessionStoreError messages. */
export function formatIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(options)'}: ${i.message}`).join('; ');
}

export function checkMid(mid: unknown): asserts mid is number {
  if (typeof mid !== 'number' || !Number.isSafeInteger(mid) || mid < 0) {
    throw invalid(`mid must be a non-negative safe integer, got ${String(mid)}`);
  }
}

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') throw invalid('key must be a non-empty string');
}

export function checkServer(server: unknown): asserts server is string {
  if (typeof server !== 'string' || server === '') throw invalid('server must be a non-empty string');
}

export function checkKeys(keys: unknown): asserts keys is readonly string[] {
  if (!Array.isArray(keys)) throw invalid('keys must be an array');
  for (const k of keys) checkKey(k);
}

export function checkMids(mids: unknown): asserts mids is readonly number[] {
  if (!Array.isArray(mids)) throw invalid('mids must be an array');
  for (const m of mids) checkMid(m);
}

/** Room counts are int32 in goim's JSON (`map[string]int32`); `updated` is unix seconds. */
export function checkOnline(online: unknown): asserts online is ServerOnline {
  if (typeof online !== 'object' || online === null) throw invalid('online must be an object');
  const o = online as Partial<ServerOnline>;
  checkServer(o.server);
  if (typeof o.updated !== 'number' || !Number.isSafeInteger(o.updated) || o.updated < 0) {
    throw invalid(`online.updated must be unix seconds (non-negative integer), got ${String(o.updated)}`);
  }
  if (typeof o.roomCount !== 'object' || o.roomCount === null || Array.isArray(o.roomCount)) {
    throw invalid('online.roomCount must be an object of room → count');
  }
  for (const [room, count] of Object.entries(o.roomCount)) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > INT32_MAX) {
      throw invalid(`online.roomCount[${JSON.stringify(room)}] must be an int32 ≥ 0, got ${String(count)}`);
    }
  }
}
