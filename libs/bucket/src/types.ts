/**
 * The contract between @goim/bucket and the transport that owns a connection (TCP socket,
 * WebSocket, a custom gateway, a test double), plus the small result/option types.
 */
import type { DisconnectNotice } from '@goim/protocol';

/**
 * One item of a connection's pending output.
 *
 * - `raw: false` — a complete frame (a reply the comet built), written as-is.
 * - `raw: true` — an OpRaw body: one or more concatenated, pre-serialised frames (a key
 *   push, broadcast or room batch). The same `Uint8Array` (and the same `Outbound` object)
 *   is shared by every recipient and is never copied per recipient. TCP writes it verbatim;
 *   WebSocket wraps each run of consecutive raw items into ONE op-9 frame (spec §1.5).
 *
 * Items are readonly: a sink must not modify `bytes`.
 */
export interface Outbound {
  readonly raw: boolean;
  readonly bytes: Uint8Array;
}

/**
 * Implemented by each transport. The bucket never sees a socket (a custom gateway brings its
 * own Sink, like ws's `noServer` mode).
 */
export interface Sink {
  /**
   * Writes, in order, everything pending for the connection. Called at most once per flush
   * tick per connection (pushes that arrive in the same tick coalesce into one call). The
   * array belongs to the sink after the call (the channel starts a new one). Must not throw;
   * if it does, the channel is closed without a notice and counted in `sinkErrors`.
   */
  flush(items: readonly Outbound[]): void;
  /**
   * Bytes accepted by the transport but not yet handed to the kernel
   * (`socket.writableLength`, `ws.bufferedAmount`); counts toward the slow-consumer bound.
   */
  readonly bufferedBytes: number;
  /**
   * Closes the connection. With a `notice`, first sends op 6 with `encodeDisconnectBody`
   * (best effort). Called at most once per channel.
   */
  close(notice?: DisconnectNotice): void;
}

/** pino-compatible logger subset; @goim/bucket is silent without one. */
export interface BucketLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Result of a push to keys, a broadcast or a room push. */
export interface PushCounts {
  /** Channels the body was queued for. */
  delivered: number;
  /** Keys with no channel on this comet (key pushes only). */
  missing: number;
  /** Channels skipped because their watch set lacks the op (accepts, spec §2.7). */
  filtered: number;
  /** Channels closed as slow consumers by this push (never a silent drop). */
  overflowed: number;
}

/** Stats of one bucket or of all buckets. */
export interface BucketStats {
  /** Registered channels. */
  channels: number;
  /** Distinct remote IPs (across buckets: each IP counted once). */
  ips: number;
  /** Rooms with local online > 0. */
  rooms: number;
}

/**
 * Plain-number counters kept by {@link Buckets} (the comet turns them into metrics). They only
 * grow; read them, don't reset them.
 */
export interface BucketCounters {
  /** Pushes queued to a channel (one per recipient). */
  delivered: number;
  /** Key/broadcast recipients skipped by the accepts filter. */
  filtered: number;
  /** Keys of `pushKeys` that had no channel here. */
  missing: number;
  /** Channels closed because their outbound bound was exceeded (slow consumers). */
  overflowed: number;
  /** Channels closed because a newer channel with the same key was put. */
  replaced: number;
  /** Channels closed by `kick`. */
  kicked: number;
  /** `Sink.flush` calls. */
  flushes: number;
  /** `Sink.flush` calls that threw (the channel was closed). */
  sinkErrors: number;
}

/** What a new {@link Channel} is made of. */
export interface ChannelInit {
  /** The connection's key (goim: server-generated UUID or the client's `key`). Non-empty. */
  key: string;
  /** Member id (0 when anonymous). */
  mid?: number;
  /** Remote IP without port ('' when unknown); counted per bucket. */
  ip?: string;
  /** The transport. */
  sink: Sink;
  /** Initial watch set (the auth token's `accepts`). */
  accepts?: Iterable<number>;
}
