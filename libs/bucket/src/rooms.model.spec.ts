/**
 * Model check of room membership: a long random sequence of put / del / close / op 12 / 18 / 20
 * on a few channels and rooms, compared after every step with a trivially correct model
 * (a Map of key → Set of room ids). Catches any double decrement, resurrected room or
 * stale member (spec §10.8–9) that the targeted cases might miss.
 */
import { Buckets } from './index.js';
import type { Channel } from './index.js';
import { RecordingSink } from './testing/index.js';
import { seededRandom } from '@goim/testkit';

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
const ROOMS = ['', 'A', 'B', 'C'];

describe.each([1, 2, 3, 42, 2026])('room membership model (seed %i)', (seed) => {
  it('matches the model after every one of 3000 random operations', () => {
    const rand = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const buckets = new Buckets({ size: 2, maxRoomsPerChannel: 3, defer: () => {} });
    const live = new Map<string, Channel>();
    const model = new Map<string, string[]>(); // key → rooms in order (primary first)

    const check = (step: number, what: string): void => {
      const expectedCounts: Record<string, number> = {};
      for (const rooms of model.values()) for (const r of rooms) expectedCounts[r] = (expectedCounts[r] ?? 0) + 1;
      const expected = {
        counts: expectedCounts,
        rooms: Object.keys(expectedCounts).sort(),
        channels: [...model].map(([key, rooms]) => ({ key, rooms, online: rooms[0] ? expectedCounts[rooms[0]] : 0 })),
        delivered: ROOMS.slice(1).map((r) => expectedCounts[r] ?? 0),
        registered: model.size,
      };
      const actual = {
        counts: { ...buckets.roomCounts() },
        rooms: buckets.rooms().sort(),
        channels: [...live].map(([key, ch]) => ({ key, rooms: ch.rooms, online: buckets.onlineOf(ch) })),
        delivered: ROOMS.slice(1).map((r) => buckets.broadcastRoom(r, Uint8Array.of(1)).delivered),
        registered: buckets.stats().channels,
      };
      buckets.flush();
      // One cheap comparison per step; the full diff only when it fails.
      if (JSON.stringify(actual) !== JSON.stringify(expected)) expect({ step, what, ...actual }).toEqual({ step, what, ...expected });
    };

    for (let step = 0; step < 3000; step++) {
      const key = pick(KEYS);
      const room = pick(ROOMS);
      const ch = live.get(key);
      const op = rand();
      let what: string;
      if (!ch || op < 0.08) {
        // Connect (replacing any live channel with this key), with or without an auth room.
        const next = buckets.newChannel({ key, sink: new RecordingSink() });
        buckets.put(next, room);
        live.set(key, next);
        model.set(key, room ? [room] : []);
        what = `put ${key} ${room}`;
      } else if (op < 0.3) {
        buckets.changeRoom(ch, room);
        model.set(key, room ? [room] : []);
        what = `change ${key} ${room}`;
      } else if (op < 0.55) {
        const rooms = model.get(key)!;
        const joined = buckets.joinRoom(ch, room);
        const shouldJoin = room !== '' && !rooms.includes(room) && rooms.length < 3;
        if (joined !== shouldJoin) expect({ step, joined }).toEqual({ step, joined: shouldJoin });
        if (shouldJoin) rooms.push(room);
        what = `join ${key} ${room}`;
      } else if (op < 0.8) {
        const rooms = model.get(key)!;
        const left = buckets.leaveRoom(ch, room);
        const i = rooms.indexOf(room);
        if (left !== i >= 0) expect({ step, left }).toEqual({ step, left: i >= 0 });
        if (i >= 0) rooms.splice(i, 1);
        what = `leave ${key} ${room}`;
      } else if (op < 0.9) {
        buckets.del(ch);
        buckets.del(ch);
        live.delete(key);
        model.delete(key);
        what = `del ${key}`;
      } else {
        ch.close();
        live.delete(key);
        model.delete(key);
        what = `close ${key}`;
      }
      check(step, what);
    }
  });
});
