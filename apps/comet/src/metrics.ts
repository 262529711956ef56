/**
 * Prometheus metrics of one comet, in its own registry (no global default registry, so
 * several comets can live in one process, e.g. apps/standalone and tests).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { BucketCounters, BucketStats } from '@goim/bucket';

/** Sources the gauges read at scrape time. */
export interface MetricsSources {
  stats(): BucketStats;
  counters(): BucketCounters;
  /** Live sockets per transport (authenticated or not). */
  sockets(): Record<string, number>;
}

/** The comet's metric objects. */
export interface CometMetrics {
  readonly registry: Registry;
  readonly connectionsOpened: Counter<'transport'>;
  readonly disconnects: Counter<'reason'>;
  readonly protocolErrors: Counter<'code'>;
  readonly framesBeforeAuth: Counter;
  readonly auths: Counter<'result'>;
  readonly logicErrors: Counter<'method'>;
  readonly pushesIn: Counter<'kind'>;
  readonly duplicates: Counter<'kind'>;
  readonly writeTimeouts: Counter;
  readonly sessionResyncs: Counter;
}

/** Creates the registry and metrics; gauges read `sources` on scrape. */
export function createCometMetrics(sources: MetricsSources): CometMetrics {
  const registry = new Registry();
  const registers = [registry];
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  gauge('goim_comet_channels', 'Authenticated connections registered in buckets.', () => sources.stats().channels);
  gauge('goim_comet_ips', 'Distinct remote IPs of authenticated connections.', () => sources.stats().ips);
  gauge('goim_comet_rooms', 'Rooms with at least one local member.', () => sources.stats().rooms);
  new Gauge({
    name: 'goim_comet_connections',
    help: 'Open client sockets (authenticated or not), by transport.',
    labelNames: ['transport'],
    registers,
    collect() {
      this.reset();
      for (const [transport, n] of Object.entries(sources.sockets())) this.set({ transport }, n);
    },
  });
  const fromCounters = (name: string, help: string, field: keyof BucketCounters) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(sources.counters()[field]);
      },
    });
  fromCounters('goim_comet_pushes_out_total', 'Pushes queued to a connection (one per recipient).', 'delivered');
  fromCounters('goim_comet_push_filtered_total', 'Key/broadcast recipients skipped by the accepts filter.', 'filtered');
  fromCounters('goim_comet_push_missing_total', 'Pushed keys with no connection on this comet.', 'missing');
  fromCounters('goim_comet_slow_consumers_total', 'Connections closed because their outbound buffer was full.', 'overflowed');
  fromCounters('goim_comet_replaced_total', 'Connections replaced by a newer one with the same key.', 'replaced');
  fromCounters('goim_comet_kicked_total', 'Connections closed by a kick.', 'kicked');
  fromCounters('goim_comet_flushes_total', 'Coalesced writes to connections.', 'flushes');
  return {
    registry,
    connectionsOpened: new Counter({ name: 'goim_comet_connections_opened_total', help: 'Accepted client sockets.', labelNames: ['transport'], registers }),
    disconnects: new Counter({ name: 'goim_comet_disconnects_total', help: 'Closed connections by reason.', labelNames: ['reason'], registers }),
    protocolErrors: new Counter({ name: 'goim_comet_protocol_errors_total', help: 'Connections closed for breaking the frame protocol, by error code.', labelNames: ['code'], registers }),
    framesBeforeAuth: new Counter({ name: 'goim_comet_frames_before_auth_total', help: 'Frames discarded because they came before auth (goim behaviour).', registers }),
    auths: new Counter({ name: 'goim_comet_auths_total', help: 'Auth attempts by result (ok, rejected, error).', labelNames: ['result'], registers }),
    logicErrors: new Counter({ name: 'goim_comet_logic_errors_total', help: 'Failed calls to logic, by method.', labelNames: ['method'], registers }),
    pushesIn: new Counter({ name: 'goim_comet_pushes_in_total', help: 'Push requests received (keys, broadcast, room).', labelNames: ['kind'], registers }),
    duplicates: new Counter({ name: 'goim_comet_push_duplicates_total', help: 'Push requests (kind room-frame: frames of a room batch) ignored because their msgID was seen recently.', labelNames: ['kind'], registers }),
    writeTimeouts: new Counter({ name: 'goim_comet_write_timeouts_total', help: 'Connections closed because the socket accepted no bytes within the write timeout.', registers }),
    sessionResyncs: new Counter({
      name: 'goim_comet_session_resyncs_total',
      help: "Times logic reported a new session-store epoch (its store lost the session map); each makes every connection re-register on its next client heartbeat.",
      registers,
    }),
  };
}
