import type { Channel } from './channel.js';

/**
 * The members of one room inside one bucket (a room exists in every bucket that holds a
 * member, as in goim). Created on the first join and dropped from its bucket when the last
 * member leaves; a dropped Room object is never reused, so a stale reference can never
 * resurrect membership (goim's `ErrRoomDroped` path, spec §10.9).
 */
export class Room {
  /** The room id. */
  readonly id: string;
  /** @internal Members in join order (a Set: O(1) join/leave, ordered iteration for fan-out). */
  readonly _members = new Set<Channel>();
  /** Cluster-wide online count pushed down from logic (0 = unknown). */
  allOnline: number;

  /** @internal Rooms are created by their bucket. */
  constructor(id: string, allOnline: number) {
    this.id = id;
    this.allOnline = allOnline;
  }

  /** Local online count: members in this bucket. */
  get online(): number {
    return this._members.size;
  }

  /** goim's `OnlineNum`: `allOnline` if > 0, else the local count. */
  onlineNum(): number {
    return this.allOnline > 0 ? this.allOnline : this._members.size;
  }

  /** The members, in join order. */
  members(): IterableIterator<Channel> {
    return this._members.values();
  }
}
