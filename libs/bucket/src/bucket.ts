import { DisconnectCode } from '@goim/protocol';
import type { DisconnectNotice } from '@goim/protocol';
import { PushResult } from './channel.js';
import type { Channel } from './channel.js';
import { BucketError, BucketErrorCode } from './errors.js';
import { Room } from './room.js';
import type { BucketCounters, BucketStats, Outbound, PushCounts } from './types.js';

/** @internal What a bucket needs from its {@link Buckets}. */
export interface BucketOwner {
  readonly counters: BucketCounters;
  /** Room limit per channel (0 = unlimited). */
  readonly maxRoomsPerChannel: number;
  /** Last cluster-wide count of `roomId` from logic (0 = unknown), for new rooms. */
  allOnlineOf(roomId: string): number;
}

const REPLACED_NOTICE: DisconnectNotice = Object.freeze({
  code: DisconnectCode.REPLACED,
  reason: 'replaced by a newer connection with the same key',
  reconnect: false,
});

/** @internal Throws unless `roomId` is a string. */
export function checkRoomId(roomId: unknown, what: string): asserts roomId is string {
  if (typeof roomId !== 'string') {
    throw new BucketError(BucketErrorCode.INVALID_ARGUMENT, `${what}: \`roomId\` must be a string`);
  }
}

/**
 * One of the N buckets of a comet: key → channel, roomId → room (members in this bucket),
 * ip → connection count (an unknown ip `''` is not counted). A channel lives in bucket `bucketIndex(key, N)` and its rooms are
 * this bucket's Room objects. Use it through {@link Buckets}; a custom gateway may also use
 * one Bucket alone.
 */
export class Bucket {
  /** Position among the comet's buckets. */
  readonly index: number;
  private readonly channels = new Map<string, Channel>();
  private readonly roomMap = new Map<string, Room>();
  private readonly ipCounts = new Map<string, number>();
  private readonly owner: BucketOwner;

  /** @internal Created by {@link Buckets}. */
  constructor(index: number, owner: BucketOwner) {
    this.index = index;
    this.owner = owner;
  }

  /** The channel registered under `key`, if any. */
  get(key: string): Channel | undefined {
    return this.channels.get(key);
  }

  /** Number of registered channels. */
  get channelCount(): number {
    return this.channels.size;
  }

  /** The room `roomId` of this bucket (exists only while it has members here). */
  room(roomId: string): Room | undefined {
    return this.roomMap.get(roomId);
  }

  /** Registered channels, in registration order. */
  channelList(): IterableIterator<Channel> {
    return this.channels.values();
  }

  /** Rooms of this bucket (every one has at least one member). */
  roomList(): IterableIterator<Room> {
    return this.roomMap.values();
  }

  /**
   * Registers `ch` (and joins `roomId` if given and non-empty). A channel already registered
   * under the same key is closed with REPLACED after the new one is in place; the close never
   * blocks (goim closes under the bucket lock and can stall the bucket, spec §10.4).
   * @throws BucketError CHANNEL_CLOSED / CHANNEL_REGISTERED
   */
  put(ch: Channel, roomId?: string): void {
    if (ch.closed) throw new BucketError(BucketErrorCode.CHANNEL_CLOSED, `put: channel ${ch.key} is closed`);
    if (ch._bucket !== undefined) {
      throw new BucketError(BucketErrorCode.CHANNEL_REGISTERED, `put: channel ${ch.key} is already registered`);
    }
    if (roomId !== undefined) checkRoomId(roomId, 'put');
    const old = this.channels.get(ch.key);
    this.channels.set(ch.key, ch);
    ch._bucket = this;
    if (ch.ip !== '') this.ipCounts.set(ch.ip, (this.ipCounts.get(ch.ip) ?? 0) + 1);
    if (roomId) this.joinRoom(ch, roomId);
    if (old !== undefined) {
      this.owner.counters.replaced++;
      // close() also unregisters `old` (its key entry already points at `ch`).
      old.close(REPLACED_NOTICE);
    }
  }

  /**
   * Unregisters `ch`: the key entry is removed only if it still holds this same channel object
   * (a stale channel never removes its replacement, goim fix #377); the channel leaves all its
   * rooms (empty rooms are dropped) and its IP count goes down. Idempotent.
   * @returns whether `ch` was registered here.
   */
  del(ch: Channel): boolean {
    if (ch._bucket !== this) return false;
    ch._bucket = undefined;
    if (this.channels.get(ch.key) === ch) this.channels.delete(ch.key);
    if (ch.ip !== '') {
      const n = (this.ipCounts.get(ch.ip) ?? 1) - 1;
      if (n > 0) this.ipCounts.set(ch.ip, n);
      else this.ipCounts.delete(ch.ip);
    }
    const rooms = ch._rooms;
    if (rooms !== undefined) {
      ch._rooms = undefined;
      for (const room of rooms) this.removeMember(room, ch);
    }
    return true;
  }

  /**
   * Op 18: adds `roomId` to the channel's rooms (the first room becomes its primary room).
   * @returns true if the channel joined; false if it is not registered here, `roomId` is
   *   empty, it is already a member or it reached `maxRoomsPerChannel`.
   */
  joinRoom(ch: Channel, roomId: string): boolean {
    checkRoomId(roomId, 'joinRoom');
    if (ch._bucket !== this || roomId === '') return false;
    const rooms = ch._rooms;
    if (rooms !== undefined) {
      for (let i = 0; i < rooms.length; i++) if (rooms[i]!.id === roomId) return false;
      const max = this.owner.maxRoomsPerChannel;
      if (max > 0 && rooms.length >= max) return false;
    }
    let room = this.roomMap.get(roomId);
    if (room === undefined) {
      room = new Room(roomId, this.owner.allOnlineOf(roomId));
      this.roomMap.set(roomId, room);
    }
    room._members.add(ch);
    if (rooms === undefined) ch._rooms = [room];
    else rooms.push(room);
    return true;
  }

  /**
   * Op 20: removes `roomId` from the channel's rooms. Leaving a room twice, or one the channel
   * never joined, is a no-op.
   * @returns true if the channel was a member.
   */
  leaveRoom(ch: Channel, roomId: string): boolean {
    checkRoomId(roomId, 'leaveRoom');
    if (ch._bucket !== this) return false;
    const rooms = ch._rooms;
    if (rooms === undefined) return false;
    for (let i = 0; i < rooms.length; i++) {
      const room = rooms[i]!;
      if (room.id !== roomId) continue;
      rooms.splice(i, 1);
      if (rooms.length === 0) ch._rooms = undefined;
      this.removeMember(room, ch);
      return true;
    }
    return false;
  }

  /**
   * Op 12 (goim semantics): replaces all of the channel's rooms by `roomId`; `''` leaves every
   * room. Changing to a room the channel is already in (even alone) keeps it there: we never
   * drop and re-create the room, so goim's "alone in the room → ends up in no room" bug
   * (spec §10.9) cannot happen.
   * @returns false only if the channel is not registered here.
   */
  changeRoom(ch: Channel, roomId: string): boolean {
    checkRoomId(roomId, 'changeRoom');
    if (ch._bucket !== this) return false;
    const rooms = ch._rooms;
    let keep: Room | undefined;
    if (rooms !== undefined) {
      ch._rooms = undefined;
      for (const room of rooms) {
        if (room.id === roomId) keep = room;
        else this.removeMember(room, ch);
      }
    }
    if (keep !== undefined) ch._rooms = [keep];
    else if (roomId !== '') this.joinRoom(ch, roomId);
    return true;
  }

  /** Removes `ch` from `room`; drops the room from this bucket when it becomes empty. */
  private removeMember(room: Room, ch: Channel): void {
    // Set.delete tells whether it was a member, so a stale room can never be decremented twice (§10.9).
    if (!room._members.delete(ch)) return;
    if (room._members.size === 0 && this.roomMap.get(room.id) === room) this.roomMap.delete(room.id);
  }

  /** @internal Key push to one key of this bucket (accepts-filtered). */
  _pushKey(key: string, op: number, item: Outbound, counts: PushCounts): void {
    const ch = this.channels.get(key);
    if (ch === undefined) {
      counts.missing++;
      this.owner.counters.missing++;
    } else if (!ch.needPush(op)) {
      counts.filtered++;
      this.owner.counters.filtered++;
    } else {
      tally(ch._push(item), counts);
    }
  }

  /** @internal Broadcast to this bucket's channels whose watch set holds `op`. */
  _broadcast(op: number, item: Outbound, counts: PushCounts): void {
    let filtered = 0;
    // An overflowing channel closes and leaves the map while we iterate; Map iteration allows that.
    for (const ch of this.channels.values()) {
      if (ch.needPush(op)) tally(ch._push(item), counts);
      else filtered++;
    }
    counts.filtered += filtered;
    this.owner.counters.filtered += filtered;
  }

  /** @internal Room push to this bucket's members of `roomId` (no accepts filter, spec §2.5). */
  _broadcastRoom(roomId: string, item: Outbound, counts: PushCounts): void {
    const room = this.roomMap.get(roomId);
    if (room === undefined) return;
    for (const ch of room._members) tally(ch._push(item), counts);
  }

  /** Adds each room's local online count into `into` (rooms here always have members). */
  addRoomCounts(into: Map<string, number>): void {
    for (const room of this.roomMap.values()) into.set(room.id, (into.get(room.id) ?? 0) + room._members.size);
  }

  /** Sets every room's `allOnline` from logic's counts (0 when absent). */
  setAllOnline(all: ReadonlyMap<string, number>): void {
    for (const room of this.roomMap.values()) room.allOnline = all.get(room.id) ?? 0;
  }

  /** Distinct IPs of this bucket. */
  ips(): IterableIterator<string> {
    return this.ipCounts.keys();
  }

  /** Connections from `ip` in this bucket. */
  ipCount(ip: string): number {
    return this.ipCounts.get(ip) ?? 0;
  }

  /** `{ channels, ips, rooms }` of this bucket. */
  stats(): BucketStats {
    return { channels: this.channels.size, ips: this.ipCounts.size, rooms: this.roomMap.size };
  }
}

function tally(result: PushResult, counts: PushCounts): void {
  if (result === PushResult.QUEUED) counts.delivered++;
  else if (result === PushResult.OVERFLOWED) counts.overflowed++;
  else counts.missing++;
}
